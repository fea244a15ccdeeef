#!/usr/bin/env bash
# The registration benchmark of BENCHMARKS.md: the 600-entity pyflyte package
# (flyte-admin-client/tests/fixtures/pyflyte/wide.tgz) registered into a standalone flyte-testkit
# that adds LATENCY ms to every call, three ways in each run: flyte-rs at its default concurrency,
# flyte-rs at concurrency 1 (flytectl's serial algorithm), and flytekit's client registering the
# same files serially in Python. Each registration uses a fresh version, so all 600 are created.
#
# Usage: scripts/bench/register.sh [RUNS] [LATENCY]     (defaults 3, 5)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
runs=${1:-3}
latency=${2:-5}
archive=$root/flyte-admin-client/tests/fixtures/pyflyte/wide.tgz

. scripts/lib.sh
ensure_flytekit
cargo build --quiet --release -p flyte-testkit --bin flyte-testkit
cargo build --quiet --release -p flyte-examples --example register

work=$(mktemp -d)
trap 'kill "${testkit_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
start_testkit "$root/target/release/flyte-testkit" --latency-ms "$latency"
echo "machine: $(nproc) cores, $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "flyte-testkit (release) on 127.0.0.1:$port, +${latency} ms per call; 600 entities, graph depth 3"
# The bound at concurrency 16: depth x latency + entities x latency / concurrency.
bound=$(awk -v l="$latency" 'BEGIN { printf "%.4f", (3 * l + 600 * l / 16) / 1000 }')

ours() {
  "$root/target/release/examples/register" --endpoint "127.0.0.1:$port" --insecure "$archive" \
    -p flytesnacks -d development --version "$1" --json "${@:2}" |
    "$venv/bin/python" -c 'import json,sys; r=json.load(sys.stdin); assert r["counts"]["registered"]==600, r["counts"]; print("%.4f" % r["seconds"])'
}

printf '%-4s %12s %12s %12s %10s %10s %10s\n' run "rs c=16 s" "rs c=1 s" "flytekit s" "fk/c16" "c1/c16" "c16/bound"
for run in $(seq 1 "$runs"); do
  c16=$(ours "r$run-c16")
  c1=$(ours "r$run-c1" --concurrency 1)
  fk=$("$venv/bin/python" scripts/bench/flytekit_register.py "$port" "$archive" flytesnacks development "r$run-py")
  awk -v r="$run" -v a="$c16" -v b="$c1" -v c="$fk" -v bd="$bound" \
    'BEGIN { printf "%-4s %12.3f %12.3f %12.3f %9.1fx %9.1fx %9.2fx\n", r, a, b, c, c / a, b / a, a / bd }'
done
echo "bound at concurrency 16: ${bound} s"

#!/usr/bin/env bash
# The launch benchmark of BENCHMARKS.md: 1,000 executions launched by execute_many, by launches
# one after another, and by flytekit's FlyteRemote.execute in a loop, all against the same
# standalone flyte-testkit (release) adding 5 ms to every call, in one run.
#
# Usage: scripts/bench/launch.sh [N] [LATENCY_MS]     (defaults 1000, 5)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-1000}
latency=${2:-5}

. scripts/lib.sh
ensure_flytekit

target=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release -p flyte-testkit --bin flyte-testkit
cargo bench --quiet -p flyte-admin-client --bench launch --no-run

work=$(mktemp -d)
trap 'kill "${testkit_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
start_testkit "$target/release/flyte-testkit" --latency-ms "$latency"
echo "machine: $(nproc) cores, $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "flyte-testkit (release) on 127.0.0.1:$port, --latency-ms $latency"
cargo bench --quiet -p flyte-admin-client --bench launch -- --endpoint "127.0.0.1:$port" --n "$n" --version bench
"$venv/bin/python" scripts/bench/flytekit_launch.py "$port" "$n" bench

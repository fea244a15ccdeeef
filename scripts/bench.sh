#!/usr/bin/env bash
# The client benchmark of BENCHMARKS.md: one unary call through flyte-admin-client, a bare tonic
# client and flytekit's Python client, all against the same standalone flyte-testkit on
# 127.0.0.1, in one run. Rust and Python take turns (RUNS times each) so the machine's drift
# falls on both.
#
# Usage: scripts/bench.sh [ROUNDS] [CALLS] [RUNS]     (defaults 15, 2000, 2)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=${1:-15}
calls=${2:-2000}
runs=${3:-2}

. scripts/lib.sh
ensure_flytekit

cargo build --quiet --release -p flyte-testkit --bin flyte-testkit
cargo bench --quiet -p flyte-admin-client --bench unary --no-run

work=$(mktemp -d)
trap 'kill "${testkit_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
start_testkit "$root/target/release/flyte-testkit"
echo "machine: $(nproc) cores, $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "flyte-testkit (release) on 127.0.0.1:$port; $rounds rounds x $calls calls"
for run in $(seq 1 "$runs"); do
  echo "--- run $run"
  rust=$(cargo bench --quiet -p flyte-admin-client --bench unary -- --endpoint "127.0.0.1:$port" \
    --rounds "$rounds" --calls "$calls" | tail -n +2)
  echo "$rust"
  # flytekit's lines, with their ratio to this run's bare tonic time for the same RPC.
  "$venv/bin/python" scripts/bench/flytekit_unary.py "$port" "$rounds" "$calls" |
    while read -r rpc client us _; do
      tonic=$(echo "$rust" | awk -v r="$rpc" '$1 == r && $2 == "tonic" { print $3 }')
      awk -v r="$rpc" -v c="$client" -v u="$us" -v t="$tonic" \
        'BEGIN { printf "%-14s %-20s %9.1f us  x%.3f of tonic\n", r, c, u, u / t }'
    done
done

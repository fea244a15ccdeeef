#!/usr/bin/env bash
# The listing benchmark of BENCHMARKS.md: peak memory of reading N executions from a standalone
# flyte-testkit (release) through list_executions as a stream, collected into a Vec, and with
# flytekit fetching every page into a list, each in a child process of its own, over N/10 and
# N executions. The test kit is filled first with execute_many; its creates slow down as it
# fills (each looks through every execution it holds), so 30,000 take about a minute and
# 100,000 over half an hour on 2 cores.
#
# Usage: scripts/bench/list_memory.sh [N]     (default 30000)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-30000}

. scripts/lib.sh
ensure_flytekit

target=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release -p flyte-testkit --bin flyte-testkit
cargo bench --quiet -p flyte-admin-client --bench list_memory --no-run

work=$(mktemp -d)
trap 'kill "${testkit_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
start_testkit "$target/release/flyte-testkit"
echo "machine: $(nproc) cores, $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "flyte-testkit (release) on 127.0.0.1:$port"
cargo bench --quiet -p flyte-admin-client --bench list_memory -- --endpoint "127.0.0.1:$port" --fill "$n"
for take in $((n / 10)) "$n"; do
  echo "flytekit	$("$venv/bin/python" scripts/bench/flytekit_list.py "$port" "$take")"
done

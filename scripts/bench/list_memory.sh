#!/usr/bin/env bash
# The listing benchmark of BENCHMARKS.md: peak memory of reading N executions from a standalone
# flyte-testkit (release) through list_executions as a stream, collected into a Vec, and with
# flytekit fetching every page into a list, each in a child process of its own, over N/10 and
# N executions. The test kit is filled first with execute_many; it finds executions by id
# through an index, so its creates cost the same however many it holds: 100,000 fill in about
# 20 s and the whole run takes about 5 minutes on 2 cores (each page of a listing still filters
# and sorts every execution, so reading 100,000 takes about a minute per way).
#
# Usage: scripts/bench/list_memory.sh [N]     (default 100000)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-100000}

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

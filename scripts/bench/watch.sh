#!/usr/bin/env bash
# The watch benchmark of BENCHMARKS.md: waiting for a batch of executions that end at random
# times, with watch_executions (one watch for the set), one watch_execution per execution (all
# at once), and flytekit's FlyteRemote.wait per execution (one thread each), against the same
# standalone flyte-testkit (release build, LATENCY ms added to every call). Each client gets a
# fresh batch of COUNT executions that end from 1 s to SPAN s after they start; all poll every
# 5 s. Prints, per client, the calls the test kit counted during the wait (GET /testkit/calls)
# and the delay from the last execution's end to its detection.
#
# Usage: scripts/bench/watch.sh [COUNT] [LATENCY] [SPAN]     (defaults 1000, 5, 21)
# The release build takes /work/cargo.lock when that file exists (the shared build machines).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
count=${1:-1000}
latency=${2:-5}
span=${3:-21}
target=${CARGO_TARGET_DIR:-$root/target}

. scripts/lib.sh
ensure_flytekit

work=$(mktemp -d)
trap 'kill "${testkit_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

build() {
  cargo build --quiet --release -p flyte-testkit --bin flyte-testkit
  bench=$(cargo bench -p flyte-admin-client --bench watch --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
  # Copies, so that a later build into the same target dir cannot swap them mid-run.
  cp "$target/release/flyte-testkit" "$work/flyte-testkit"
  cp "$bench" "$work/watch-bench"
}
if [ -e /work/cargo.lock ]; then
  exec 9>/work/cargo.lock
  flock 9
  build
  flock -u 9
else
  build
fi

start_testkit "$work/flyte-testkit" --latency-ms "$latency" --run-ms-random "1000:$((span * 1000))" --seed 1
http=$(sed -n 's/^flyte-testkit http on \(http:[^ ]*\)$/\1/p' "$work/testkit.out")
echo "machine: $(nproc) cores, $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "flyte-testkit (release) on 127.0.0.1:$port, +${latency} ms a call; $count executions a batch ending 1-${span} s after start; polls every 5 s"
for client in set each flytekit; do
  "$work/watch-bench" launch --endpoint "127.0.0.1:$port" --count "$count" --prefix "$client" >/dev/null
  case $client in
    flytekit) "$venv/bin/python" scripts/bench/flytekit_watch.py "$port" "$http" "$count" "$client" ;;
    *) "$work/watch-bench" "$client" --endpoint "127.0.0.1:$port" --http "$http" --count "$count" --prefix "$client" ;;
  esac
done

#!/usr/bin/env bash
# A FlyteAdmin restart in the middle of a client's work, with the standalone test kit: started
# with `serve --state`, killed (SIGKILL, as a pod at the end of its grace period) while the
# `executions watch` example waits on an execution, and started again on the same ports. The
# watch must carry on to SUCCEEDED; everything written before the kill must be there after it,
# the execution's generated name included; registering the same package again must find every
# entity already there (nothing lost, nothing doubled).
#
#   scripts/conformance/testkit_restart.sh ROOT BIN_DIR WORK
#
# BIN_DIR holds the built `flyte-testkit` and `examples/` (target/debug); WORK is a scratch
# directory.
set -euo pipefail

root=$1
bin=$2
work=$3
mkdir -p "$work"
. "$root/scripts/lib.sh"

testkit_pid=""
watch_pid=""
trap 'kill "$testkit_pid" "$watch_pid" 2>/dev/null || true' EXIT

fail() {
  echo "restart: $*" >&2
  echo "--- test kit output" >&2
  cat "$work/testkit.out" >&2 || true
  exit 1
}

# Executions run 6 s, so the one launched below is still running when the test kit is killed.
serve_args=(--state "$work/state" --storage "$work/blobs" --run-ms 6000)
start_testkit "$bin/flyte-testkit" "${serve_args[@]}"
http_port=$(sed -n 's|^flyte-testkit http on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$work/testkit.out")
[ -n "$http_port" ] || fail "no HTTP port in the test kit's output"

# Retries that outlast the restart: up to 30, at most 1 s apart.
cat > "$work/config.yaml" <<EOF
admin:
  endpoint: dns:///127.0.0.1:$port
  insecure: true
  maxRetries: 30
  maxBackoffDelay: 1s
EOF
config=(--config "$work/config.yaml")
package=$root/flyte-admin-client/tests/fixtures/pyflyte/demo.tgz
scope=(--project flytesnacks --domain development)

"$bin/examples/register" "${config[@]}" "$package" "${scope[@]}" --version v1 --json \
  > "$work/register1.json" || fail "register failed"

# No --name: the test kit generates it, and must bring back the same one after the restart.
"$bin/examples/launch" "${config[@]}" "${scope[@]}" --launch-plan sum_of_doubles_default \
  > "$work/launch.out" || fail "launch failed"
name=$(sed -n 's/^execution flytesnacks:development:\(.*\)$/\1/p' "$work/launch.out")
[ -n "$name" ] || fail "no execution name in: $(cat "$work/launch.out")"

"$bin/examples/executions" "${config[@]}" "${scope[@]}" watch "$name" > "$work/watch.out" 2>&1 &
watch_pid=$!
sleep 1

kill -KILL "$testkit_pid"
wait "$testkit_pid" 2>/dev/null || true
# Down for 2 s: longer than the default retry policy's whole backoff, well within this one's.
sleep 2
start_testkit "$bin/flyte-testkit" "${serve_args[@]}" --port "$port" --http-port "$http_port"

wait "$watch_pid" || fail "the watch did not carry on: $(cat "$work/watch.out")"
watch_pid=""
grep -q "flytesnacks:development:$name: SUCCEEDED" "$work/watch.out" \
  || fail "the watch did not see SUCCEEDED: $(cat "$work/watch.out")"

"$bin/examples/executions" "${config[@]}" "${scope[@]}" list -o json > "$work/list.json" \
  || fail "list failed"
count=$(grep -c "\"name\":\"$name\"" "$work/list.json" || true)
[ "$count" = 1 ] || fail "execution $name listed $count times: $(cat "$work/list.json")"

"$bin/examples/register" "${config[@]}" "$package" "${scope[@]}" --version v1 --json \
  > "$work/register2.json" || fail "registering again failed"
python3 - "$work/register1.json" "$work/register2.json" <<'EOF' || fail "registration was not kept"
import json, sys
first, again = (json.load(open(p)) for p in sys.argv[1:3])
def outcomes(report):
    return [e["outcome"] for e in report["entities"]]
assert len(first["entities"]) == len(again["entities"]) > 0, (first, again)
assert set(outcomes(first)) == {"registered"}, outcomes(first)
assert set(outcomes(again)) == {"already registered"}, outcomes(again)
EOF
echo "restart: the watch of $name carried on across a kill and restart on 127.0.0.1:$port; nothing lost or doubled"

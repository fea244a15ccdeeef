#!/usr/bin/env bash
# Conformance against real peers, installed here from package registries (nothing else is
# assumed on the machine beyond Rust, Python 3 with pip, Node.js with npm and apt).
#
# Peers so far:
#   - flytekit (PyPI): reads the config files flyte-rs writes, and resolves pyflyte's FLYTE_*
#     variables; we check that it sees the same settings flyte-rs does.
#   - flytekit (PyPI) against the standalone flyte-testkit: pyflyte packages workflows, and
#     flytekit's own client and FlyteRemote register, launch, wait, list, terminate and upload.
#   - oidc-provider (npm): a real OAuth2/OIDC server; flyte-auth logs in to the test kit (in
#     external auth mode) with client credentials, PKCE, refresh and the device flow.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

FLYTEKIT_VERSION=${FLYTEKIT_VERSION:-1.16.31}
venv=${CONFORMANCE_VENV:-$root/target/conformance/venv}

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import flytekit, sys; sys.exit(flytekit.__version__ != '$FLYTEKIT_VERSION')" 2>/dev/null; then
  echo "conformance: installing flytekit $FLYTEKIT_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "flytekit==$FLYTEKIT_VERSION"
fi

cargo build --quiet --example config -p flyte-examples
cargo build --quiet -p flyte-testkit --bin flyte-testkit
cargo build --quiet --example login -p flyte-examples

failed=0
run() {
  echo "conformance: $1"
  shift
  "$@" || failed=1
}

run "config files and variables, flyte-config vs flytekit" \
  "$venv/bin/python" scripts/conformance/config_parity.py "$root/target/debug/examples/config"

# The standalone test kit on free ports of 127.0.0.1; stopped however this script ends.
work=$(mktemp -d)
"$root/target/debug/flyte-testkit" serve --run-ms 1500 > "$work/testkit.out" 2>&1 &
testkit_pid=$!
trap 'kill "$testkit_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^flyte-testkit listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/testkit.out")
  [ -n "$port" ] && break
  kill -0 "$testkit_pid" 2>/dev/null || { cat "$work/testkit.out"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "conformance: flyte-testkit did not start"; cat "$work/testkit.out"; exit 1; }
run "flytekit against flyte-testkit on 127.0.0.1:$port" \
  "$venv/bin/python" scripts/conformance/testkit_flytekit.py "$port" "$work"

mkdir -p "$work/oidc"
run "flyte-auth against oidc-provider" bash scripts/conformance/oidc_flows.sh "$root" "$work/oidc"

exit "$failed"

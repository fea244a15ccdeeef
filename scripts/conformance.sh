#!/usr/bin/env bash
# Conformance against real peers, installed here from package registries (nothing else is
# assumed on the machine beyond Rust, Python 3 with pip, Node.js with npm and apt).
#
# Peers so far:
#   - flytekit (PyPI): reads the config files flyte-rs writes, and resolves pyflyte's FLYTE_*
#     variables; we check that it sees the same settings flyte-rs does.
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

cargo build --quiet --example config
"$venv/bin/python" scripts/conformance/config_parity.py "$root/target/debug/examples/config"

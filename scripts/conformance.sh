#!/usr/bin/env bash
# Conformance against real peers, installed here from package registries (nothing else is
# assumed on the machine beyond Rust, Python 3 with pip, Node.js with npm and apt).
#
# Peers so far:
#   - flytekit (PyPI): reads the config files flyte-rs writes, and resolves pyflyte's FLYTE_*
#     variables; we check that it sees the same settings flyte-rs does.
#   - flytekit (PyPI) against the standalone flyte-testkit: pyflyte packages workflows, and
#     flytekit's own client and FlyteRemote register, launch, wait, list, terminate and upload;
#     `pyflyte run --remote`, `pyflyte register` and FlyteRemote with dataclasses, dicts, enums,
#     dates, files and every node kind (map, dynamic, sub-workflow, launch plan, branch).
#     A cached task run twice through FlyteRemote: populated, then a CACHE_HIT with the first
#     run as its source; flyteidl's Python DataCatalog stub reads the artifact on the gRPC port.
#   - the standalone test kit killed and started again (serve --state) under a watching client.
#   - oidc-provider (npm): a real OAuth2/OIDC server; flyte-auth logs in to the test kit (in
#     external auth mode) with client credentials, PKCE, refresh and the device flow.
#   - moto (PyPI): a real S3 API on 127.0.0.1; the `storage` example (flyte-storage's S3
#     backend, MinIO-style config) with boto3 as the independent reader and writer.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

. scripts/lib.sh
ensure_flytekit
ensure_moto
ensure_azurite

# One workspace-wide build: per-package builds unify features differently and would compile the
# dependency tree a second time (time and, on CI, disk).
cargo build --quiet --workspace --bins --examples

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
trap 'kill "${testkit_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
start_testkit "$root/target/debug/flyte-testkit" --run-ms 1500 \
  --dynamic shapes.nodes_wf.fan=shapes.nodes_wf.sq,shapes.nodes_wf.sq
run "flytekit against flyte-testkit on 127.0.0.1:$port" \
  "$venv/bin/python" scripts/conformance/testkit_flytekit.py "$port" "$work"
run "a cached flytekit task run twice through FlyteRemote: CACHE_POPULATED, then CACHE_HIT" \
  "$venv/bin/python" scripts/conformance/testkit_cache.py "$port" "$work/cache"
run "pyflyte run --remote and FlyteRemote: modern types and every node kind" \
  "$venv/bin/python" scripts/conformance/testkit_types.py "$port" "$work/types"
run "flyte-rs registers packages made by pyflyte; FlyteRemote finds them" \
  "$venv/bin/python" scripts/conformance/register_pyflyte.py "$port" "$work/register" \
  "$root/target/debug/examples/register"

run "flyte-testkit killed and started again mid-watch (serve --state): the client carries on" \
  bash scripts/conformance/testkit_restart.sh "$root" "$root/target/debug" "$work/restart"

mkdir -p "$work/oidc"
run "flyte-auth against oidc-provider" bash scripts/conformance/oidc_flows.sh "$root" "$work/oidc"

run "flyte-storage against moto's S3" \
  "$moto_venv/bin/python" scripts/conformance/storage_peers.py moto "$root/target/debug/examples/storage" "$work/moto"
run "flyte-storage against Azurite" \
  "$moto_venv/bin/python" scripts/conformance/storage_peers.py azurite "$root/target/debug/examples/storage" \
  "$work/azurite" "$azurite_dir/node_modules/.bin/azurite-blob"

exit "$failed"

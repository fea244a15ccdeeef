# Shared by scripts/conformance.sh and scripts/bench.sh; source it after setting $root.

FLYTEKIT_VERSION=${FLYTEKIT_VERSION:-1.16.31}
venv=${CONFORMANCE_VENV:-$root/target/conformance/venv}

# flytekit from PyPI in a venv of its own, reused while its version matches.
ensure_flytekit() {
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import flytekit, sys; sys.exit(flytekit.__version__ != '$FLYTEKIT_VERSION')" 2>/dev/null; then
    echo "installing flytekit $FLYTEKIT_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "flytekit==$FLYTEKIT_VERSION"
  fi
}

MOTO_VERSION=${MOTO_VERSION:-5.2.5}
moto_venv=${CONFORMANCE_MOTO_VENV:-$root/target/conformance/moto-venv}

# moto's S3 server (and boto3) from PyPI in a venv of its own: its botocore must not meet
# flytekit's. flyteidl is there to write LiteralMaps the way Python does.
# azure-storage-blob is the independent Azure client of the Azurite checks.
AZURE_BLOB_VERSION=${AZURE_BLOB_VERSION:-12.31.1}
ensure_moto() {
  if [ ! -x "$moto_venv/bin/python" ] || ! "$moto_venv/bin/python" -c "
import sys, moto, flyteidl
from importlib.metadata import version
sys.exit(moto.__version__ != '$MOTO_VERSION' or version('azure-storage-blob') != '$AZURE_BLOB_VERSION')" 2>/dev/null; then
    echo "installing moto $MOTO_VERSION and azure-storage-blob $AZURE_BLOB_VERSION into $moto_venv"
    python3 -m venv "$moto_venv"
    "$moto_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      "moto[server]==$MOTO_VERSION" "flyteidl==1.16.8" "azure-storage-blob==$AZURE_BLOB_VERSION"
  fi
}

# Azurite, Microsoft's Azure Storage emulator, from npm (3.35 is the last for Node.js 20).
AZURITE_VERSION=${AZURITE_VERSION:-3.35.0}
azurite_dir=$root/target/conformance/azurite
ensure_azurite() {
  if ! grep -qs "\"version\": \"$AZURITE_VERSION\"" "$azurite_dir/node_modules/azurite/package.json"; then
    echo "installing azurite $AZURITE_VERSION into $azurite_dir"
    mkdir -p "$azurite_dir"
    (cd "$azurite_dir" && npm install --no-audit --no-fund --silent "azurite@$AZURITE_VERSION")
  fi
}

# Starts the standalone test kit binary ($1) on free ports of 127.0.0.1 with the remaining
# arguments; sets $testkit_pid and $port. Output goes to $work/testkit.out.
start_testkit() {
  local bin=$1
  shift
  "$bin" serve "$@" > "$work/testkit.out" 2>&1 &
  testkit_pid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^flyte-testkit listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/testkit.out")
    [ -n "$port" ] && return 0
    kill -0 "$testkit_pid" 2>/dev/null || { cat "$work/testkit.out"; return 1; }
    sleep 0.1
  done
  echo "flyte-testkit did not start"
  cat "$work/testkit.out"
  return 1
}

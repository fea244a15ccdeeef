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
ensure_moto() {
  if [ ! -x "$moto_venv/bin/python" ] || ! "$moto_venv/bin/python" -c "import moto, flyteidl, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    echo "installing moto $MOTO_VERSION into $moto_venv"
    python3 -m venv "$moto_venv"
    "$moto_venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "flyteidl==1.16.8"
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

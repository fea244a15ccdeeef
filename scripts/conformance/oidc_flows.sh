#!/usr/bin/env bash
# flyte-auth against a real OAuth2/OIDC server: oidc-provider (npm) on 127.0.0.1 issues JWT access
# tokens for the audience "flyte"; the standalone test kit trusts it (external auth); the login
# example logs in with client credentials, PKCE (a scripted browser signs in and consents over
# HTTP), a refresh after expiry (no browser allowed), and the device flow (a script approves).
# Usage: oidc_flows.sh ROOT WORKDIR
set -euo pipefail
root=$1
work=$2
node_dir="$root/target/conformance/oidc"
mkdir -p "$node_dir"
cp "$root/scripts/conformance/oidc/package.json" "$root/scripts/conformance/oidc/"*.mjs "$node_dir/"
if [ ! -d "$node_dir/node_modules/oidc-provider" ]; then
  echo "conformance: installing oidc-provider from npm"
  (cd "$node_dir" && npm install --no-audit --no-fund --silent)
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN: prints the first match of PATTERN's group in FILE
  for _ in $(seq 1 150); do
    value=$(sed -n "s/$2/\\1/p" "$1" | head -n 1)
    if [ -n "$value" ]; then echo "$value"; return 0; fi
    sleep 0.1
  done
  echo "conformance: timed out waiting in $1" >&2; cat "$1" >&2; return 1
}

callback_port=$(free_port)
redirect="http://127.0.0.1:$callback_port/callback"
node "$node_dir/provider.mjs" "$redirect" > "$work/provider.out" 2>&1 &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
issuer=$(wait_for "$work/provider.out" '^oidc-provider listening on \(.*\)$')

"$root/target/debug/flyte-testkit" serve --auth external --issuer "$issuer" --audience flyte \
  --redirect-uri "$redirect" --scopes "openid offline_access all" > "$work/testkit-ext.out" 2>&1 &
pids+=($!)
admin=$(wait_for "$work/testkit-ext.out" '^flyte-testkit listening on \(.*\)$')
login="$root/target/debug/examples/login"

passed=0
failed=0
check() { # NAME COMMAND...: the command's output must contain the last argument
  local name=$1 expect=${*: -1}
  local out
  out=$("${@:2:$#-2}" 2>&1) && grep -q -- "$expect" <<<"$out" && {
    echo "ok   $name"; passed=$((passed + 1)); return 0; }
  echo "FAIL $name"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1))
}

check_fails() { # NAME COMMAND...: the command must fail, and its output contain the last argument
  local name=$1 expect=${*: -1}
  local out
  if out=$("${@:2:$#-2}" 2>&1); then
    echo "FAIL $name (it succeeded)"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1)); return 0
  fi
  if grep -q -- "$expect" <<<"$out"; then echo "ok   $name"; passed=$((passed + 1)); return 0; fi
  echo "FAIL $name"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1))
}

config() { # DIR AUTHTYPE [EXTRA YAML]
  mkdir -p "$1"
  printf 'admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: %s\n%s' "$admin" "$2" "${3:-}" > "$1/config.yaml"
}

config "$work/cc" ClientSecret $'  clientId: robot\n  clientSecretEnvVar: ROBOT_SECRET\n  scopes: [all]\n'
check "client credentials: a JWT from oidc-provider accepted by the test kit" \
  env HOME="$work/cc" ROBOT_SECRET=robot-secret "$login" --config "$work/cc/config.yaml" "subject: robot"
mkdir -p "$work/cc-wrong"
check_fails "client credentials: a wrong secret is refused with the provider's error" \
  env HOME="$work/cc-wrong" ROBOT_SECRET=nope "$login" --config "$work/cc/config.yaml" "invalid_client"

config "$work/pkce" Pkce
cat > "$work/pkce/browser.sh" <<SH
#!/bin/sh
FLYTE_RS_REDIRECT_URI="$redirect" exec node "$node_dir/browser.mjs" "\$1"
SH
chmod +x "$work/pkce/browser.sh"
check "PKCE: signed in and consented by a scripted browser" \
  env HOME="$work/pkce" BROWSER="$work/pkce/browser.sh" "$login" --config "$work/pkce/config.yaml" "subject: alice"
# The provider's tokens live 60s, inside the 5m refresh window: the next run must refresh, and
# a browser that fails proves no second login happened.
check "PKCE: the cached refresh token is used instead of a new login" \
  env HOME="$work/pkce" BROWSER=/bin/false "$login" --config "$work/pkce/config.yaml" "subject: alice"

# A person who takes 20 s to sign in, through the admin client (not the login example): longer
# than the RPC's per-attempt timeout (15 s by default), which must not bound an interactive
# login, and discovered over gRPC; one browser opened, then the call goes through.
config "$work/pkce-slow" Pkce
cat > "$work/pkce-slow/browser.sh" <<SH
#!/bin/sh
echo opened >> "$work/pkce-slow/opened"
(sleep 20; FLYTE_RS_REDIRECT_URI="$redirect" node "$node_dir/browser.mjs" "\$1") > /dev/null 2>&1 &
SH
chmod +x "$work/pkce-slow/browser.sh"
check "PKCE through the admin client: a person who signs in after 20 s is not cut off" \
  env HOME="$work/pkce-slow" BROWSER="$work/pkce-slow/browser.sh" "$root/target/debug/examples/projects" \
  --config "$work/pkce-slow/config.yaml" list "flytesnacks"
if [ "$(wc -l < "$work/pkce-slow/opened" 2>/dev/null || echo 0)" -eq 1 ]; then
  echo "ok   PKCE: the slow login opened the browser once"; passed=$((passed + 1))
else
  echo "FAIL PKCE: the slow login opened the browser $(wc -l < "$work/pkce-slow/opened" 2>/dev/null || echo 0) times"; failed=$((failed + 1))
fi

# The admin client built from a config alone, on a gRPC endpoint whose port serves no HTTP:
# it must discover the authorization server through FlyteAdmin's AuthMetadataService, as flytectl does.
mkdir -p "$work/cc-admin"
check "client credentials through the admin client, discovered over gRPC" \
  env HOME="$work/cc-admin" ROBOT_SECRET=robot-secret "$root/target/debug/examples/projects" \
  --config "$work/cc/config.yaml" list "flytesnacks"

config "$work/device" DeviceFlow
env HOME="$work/device" "$login" --config "$work/device/config.yaml" --no-browser > "$work/device/out" 2> "$work/device/err" &
login_pid=$!
code=$(wait_for "$work/device/err" '.*enter the code \([^ ]*\).*')
if node "$node_dir/browser.mjs" device "$issuer" "$code" && wait "$login_pid" && grep -q "subject: alice" "$work/device/out"; then
  echo "ok   device flow: approved by a script, polled to a token"; passed=$((passed + 1))
else
  echo "FAIL device flow"; sed 's/^/    /' "$work/device/out" "$work/device/err"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

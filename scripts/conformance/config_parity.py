"""flytekit and flyte-rs must read the same config file and the same pyflyte variables alike.

Usage: config_parity.py PATH_TO_CONFIG_EXAMPLE
Prints one line per check and a closing 'N passed, M failed' line; exits 1 on any failure.
"""

import json
import os
import subprocess
import sys
import tempfile

from flytekit.configuration import Config, DataConfig, PlatformConfig

EXAMPLE = sys.argv[1]
results = {"passed": 0, "failed": 0}


def check(name, ours, theirs):
    ok = ours == theirs
    results["passed" if ok else "failed"] += 1
    print(f"{'ok  ' if ok else 'FAIL'} {name}: flyte-rs={ours!r} flytekit={theirs!r}")


def run(args, env):
    out = subprocess.run([EXAMPLE, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"config {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def ours(path, env):
    return json.loads(run(["show", "-o", "json", "--config", path], env))["config"]


def strip_dns(endpoint):
    return endpoint.replace("dns:///", "")


# pyflyte's auth mode names map onto flytectl's.
AUTH = {
    "standard": "Pkce", "Pkce": "Pkce", "basic": "ClientSecret", "client_credentials": "ClientSecret",
    "ClientSecret": "ClientSecret", "external_process": "ExternalCommand",
    "ExternalCommand": "ExternalCommand", "DeviceFlow": "DeviceFlow",
}

with tempfile.TemporaryDirectory() as tmp:
    base_env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp}

    # 1. A file written by `config init` is read by flytekit as we meant it.
    written = os.path.join(tmp, "init.yaml")
    run(["init", "--host", "flyte.example.com:8443", "--console", "https://console.example.com",
         "--path", written], base_env)
    fk = Config.auto(config_file=written).platform
    check("init: endpoint", "flyte.example.com:8443", fk.endpoint)
    check("init: insecure", False, fk.insecure)
    check("init: console", "https://console.example.com", fk.console_endpoint)
    # flytekit caches a file's contents by path, so the second file gets a name of its own.
    written = os.path.join(tmp, "init-insecure.yaml")
    run(["init", "--host", "localhost:30080", "--insecure", "--path", written], base_env)
    fk = Config.auto(config_file=written).platform
    check("init --insecure: endpoint", "localhost:30080", fk.endpoint)
    check("init --insecure: insecure", True, fk.insecure)

    # 2. A full admin/storage file is read alike, key by key.
    full = os.path.join(tmp, "full.yaml")
    with open(full, "w") as f:
        f.write("""admin:
  endpoint: dns:///flyte.example.com
  insecure: true
  insecureSkipVerify: true
  caCertFilePath: /etc/ssl/ca.pem
  authType: DeviceFlow
  clientId: robot
  scopes: [all, offline]
  audience: https://aud.example.com
  command: [print-token, --quiet]
  proxyCommand: [iap-token]
  httpProxyURL: http://proxy.example.com:3128
console:
  endpoint: https://console.example.com
storage:
  connection:
    endpoint: http://localhost:30002
    access-key: minio
task:
  project: flytesnacks
  domain: development
""")
    mine = ours(full, base_env)
    fkc = Config.auto(config_file=full)
    fk = fkc.platform
    a = mine["admin"]
    check("file: endpoint", strip_dns(a["endpoint"]), fk.endpoint)
    check("file: insecure", a["insecure"], fk.insecure)
    check("file: insecureSkipVerify", a["insecureSkipVerify"], fk.insecure_skip_verify)
    check("file: caCertFilePath", a["caCertFilePath"], fk.ca_cert_file_path)
    check("file: authType", a["authType"], AUTH[fk.auth_mode.value if hasattr(fk.auth_mode, "value") else fk.auth_mode])
    check("file: clientId", a["clientId"], fk.client_id)
    check("file: scopes", a["scopes"], list(fk.scopes))
    check("file: audience", a["audience"], fk.audience)
    # `config show` prints a command's program and redacts its arguments (they may hold
    # tokens); flytekit must read the same program and as many arguments.
    def shown(argv):
        return argv[:1] + ["[redacted]"] * (len(argv) - 1)
    check("file: command", a["command"], shown(list(fk.command)))
    check("file: proxyCommand", a["proxyCommand"], shown(list(fk.proxy_command)))
    check("file: httpProxyURL", a["httpProxyURL"], fk.http_proxy_url)
    check("file: console", mine["console"]["endpoint"], fk.console_endpoint)
    check("file: storage endpoint", mine["storage"]["connection"]["endpoint"], fkc.data_config.s3.endpoint)
    check("file: storage access key", mine["storage"]["connection"]["access-key"], fkc.data_config.s3.access_key_id)

    # 3. pyflyte's variables override the file alike.
    env = dict(base_env,
               FLYTE_PLATFORM_URL="env.example.com:443",
               FLYTE_PLATFORM_INSECURE="False",
               FLYTE_CREDENTIALS_CLIENT_ID="env-robot",
               FLYTE_CREDENTIALS_AUTH_MODE="basic",
               FLYTE_CREDENTIALS_SCOPES="x,y",
               FLYTE_CREDENTIALS_AUDIENCE="env-aud",
               FLYTE_AWS_ENDPOINT="http://env-minio:9000",
               FLYTE_AWS_ACCESS_KEY_ID="env-key")
    mine = ours(full, env)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        fkc = Config.auto(config_file=full)
        fk = fkc.platform
        data = DataConfig.auto(config_file=full)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    a = mine["admin"]
    check("env: FLYTE_PLATFORM_URL", strip_dns(a["endpoint"]), fk.endpoint)
    check("env: FLYTE_PLATFORM_INSECURE", a["insecure"], fk.insecure)
    check("env: FLYTE_CREDENTIALS_CLIENT_ID", a["clientId"], fk.client_id)
    check("env: FLYTE_CREDENTIALS_AUTH_MODE", a["authType"], AUTH[fk.auth_mode.value if hasattr(fk.auth_mode, "value") else fk.auth_mode])
    check("env: FLYTE_CREDENTIALS_SCOPES", a["scopes"], list(fk.scopes))
    check("env: FLYTE_CREDENTIALS_AUDIENCE", a["audience"], fk.audience)
    check("env: FLYTE_AWS_ENDPOINT", mine["storage"]["connection"]["endpoint"], data.s3.endpoint)
    check("env: FLYTE_AWS_ACCESS_KEY_ID", mine["storage"]["connection"]["access-key"], data.s3.access_key_id)

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)

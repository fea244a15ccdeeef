"""1 GiB up and down: flyte-storage (through the release `storage` example) against boto3 on
moto's S3, and against Python's shutil on the local store, in one run.

Usage: storage_transfer.py STORAGE_EXAMPLE WORKDIR [SIZE_MIB]
Each transfer runs in its own process, so its peak RSS is its own (getrusage of the child).
Prints one line per target, operation and tool: seconds, MiB/s, peak RSS; then the ratios.
"""

import os
import pathlib
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

EXAMPLE, WORK = sys.argv[1], pathlib.Path(sys.argv[2])
SIZE_MIB = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
WORK.mkdir(parents=True, exist_ok=True)
PY = sys.executable


def measure(cmd):
    """Wall seconds and peak RSS (MiB) of one child process run through a fresh wrapper."""
    wrapper = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "r = subprocess.run(sys.argv[1:]);"
        "d = time.perf_counter() - t;"
        "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(d, m / 1024);"
        "sys.exit(r.returncode)"
    )
    p = subprocess.run([PY, "-c", wrapper, *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{cmd}: exit {p.returncode}: {p.stderr.strip()[-500:]}")
    secs, rss = p.stdout.strip().splitlines()[-1].split()
    return float(secs), float(rss)


src = WORK / "src.bin"
with open(src, "wb") as f:
    block = os.urandom(1024 * 1024)
    for i in range(SIZE_MIB):
        f.write(block[i % 251:] + block[: i % 251])

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    PORT = s.getsockname()[1]
ENDPOINT = f"http://127.0.0.1:{PORT}"
moto = subprocess.Popen(
    [os.path.join(os.path.dirname(PY), "moto_server"), "-H", "127.0.0.1", "-p", str(PORT)],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
rows = []
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(ENDPOINT, timeout=1)
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    import boto3

    boto = boto3.client("s3", endpoint_url=ENDPOINT, aws_access_key_id="minio",
                        aws_secret_access_key="miniostorage", region_name="us-east-1")
    boto.create_bucket(Bucket="bench")
    s3_config = WORK / "s3.yaml"
    s3_config.write_text(
        "storage:\n  type: minio\n  container: bench\n  connection:\n"
        f"    endpoint: {ENDPOINT}\n    auth-type: accesskey\n    access-key: minio\n"
        "    secret-key: miniostorage\n    disable-ssl: true\n"
    )
    local_root = WORK / "local-store"
    local_config = WORK / "local.yaml"
    local_config.write_text(
        f"storage:\n  type: local\n  container: bench\n  stow:\n    kind: local\n    config:\n      path: {local_root}\n"
    )
    boto_op = (
        "import boto3, sys;"
        f"c = boto3.client('s3', endpoint_url='{ENDPOINT}', aws_access_key_id='minio',"
        " aws_secret_access_key='miniostorage', region_name='us-east-1');"
        "getattr(c, sys.argv[1])(*sys.argv[2:])"
    )
    copy_op = "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])"
    (local_root / "bench").mkdir(parents=True, exist_ok=True)
    for rnd in range(2):  # alternate who goes first
        order = [0, 1] if rnd == 0 else [1, 0]
        for who in order:
            if who == 0:
                rows.append(("moto", "put", "flyte-storage", *measure([EXAMPLE, "--config", str(s3_config), "put", str(src), "s3://bench/a.bin"])))
                rows.append(("moto", "get", "flyte-storage", *measure([EXAMPLE, "--config", str(s3_config), "get", "s3://bench/a.bin", str(WORK / "a.out")])))
                rows.append(("local", "put", "flyte-storage", *measure([EXAMPLE, "--config", str(local_config), "put", str(src), "s3://bench/a.bin"])))
                rows.append(("local", "get", "flyte-storage", *measure([EXAMPLE, "--config", str(local_config), "get", "s3://bench/a.bin", str(WORK / "a.out")])))
            else:
                rows.append(("moto", "put", "boto3", *measure([PY, "-c", boto_op, "upload_file", str(src), "bench", "b.bin"])))
                rows.append(("moto", "get", "boto3", *measure([PY, "-c", boto_op, "download_file", "bench", "b.bin", str(WORK / "b.out")])))
                rows.append(("local", "put", "shutil", *measure([PY, "-c", copy_op, str(src), str(local_root / "bench" / "b.bin")])))
                rows.append(("local", "get", "shutil", *measure([PY, "-c", copy_op, str(local_root / "bench" / "b.bin"), str(WORK / "b.out")])))
finally:
    moto.terminate()

print(f"{SIZE_MIB} MiB, 2 rounds; each line: seconds, MiB/s, peak RSS of the process")
best = {}
for target, op, tool, secs, rss in rows:
    key = (target, op, tool)
    best[key] = min(best.get(key, (1e9, 0)), (secs, rss))
for (target, op, tool), (secs, rss) in sorted(best.items()):
    print(f"{target:<6} {op:<4} {tool:<14} {secs:8.2f} s {SIZE_MIB / secs:9.1f} MiB/s  peak {rss:8.1f} MiB")
for target, other in (("moto", "boto3"), ("local", "shutil")):
    for op in ("put", "get"):
        ours, theirs = best[(target, op, "flyte-storage")], best[(target, op, other)]
        print(f"ratio {target} {op}: time x{ours[0] / theirs[0]:.2f} of {other}, peak memory x{ours[1] / theirs[1]:.2f}")

"""flyte-storage's S3 backend, through the `storage` example, against moto's S3 server.

Usage: storage_moto.py STORAGE_EXAMPLE WORKDIR
Starts moto on a free port of 127.0.0.1, writes a MinIO-style flytectl config (endpoint, access
keys, disable-ssl), and checks, with boto3 as the independent reader and writer:
put/ls/cat/get/rm, a LiteralMap outputs.pb written by Python read back as JSON, a 40 MiB file
that goes up in parts and comes back identical, and a missing object's error.
Prints one line per check and 'N passed, M failed'; exits 1 on any failure.
"""

import hashlib
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import traceback
import urllib.request

import boto3
from flyteidl.core import literals_pb2

EXAMPLE, WORK = sys.argv[1], pathlib.Path(sys.argv[2])
WORK.mkdir(parents=True, exist_ok=True)
results = {"passed": 0, "failed": 0}


def check(name, fn):
    try:
        detail = fn()
        results["passed"] += 1
        print(f"ok   {name}{': ' + str(detail) if detail else ''}")
    except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
        results["failed"] += 1
        print(f"FAIL {name}: {e!r}")
        traceback.print_exc(limit=3)


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    PORT = s.getsockname()[1]
ENDPOINT = f"http://127.0.0.1:{PORT}"
server = subprocess.Popen(
    [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(PORT)],
    stdout=open(WORK / "moto.log", "w"),
    stderr=subprocess.STDOUT,
)
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(ENDPOINT, timeout=1)
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    s3 = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id="minio",
        aws_secret_access_key="miniostorage",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="flytedata")
    config = WORK / "config.yaml"
    config.write_text(
        "storage:\n  type: minio\n  container: flytedata\n  connection:\n"
        f"    endpoint: {ENDPOINT}\n    auth-type: accesskey\n    access-key: minio\n"
        "    secret-key: miniostorage\n    disable-ssl: true\n"
    )
    env = {"HOME": str(WORK), "PATH": os.environ.get("PATH", "")}

    def run(*args, ok=True):
        p = subprocess.run([EXAMPLE, "--config", str(config), *args], capture_output=True, text=True, env=env)
        if ok and p.returncode != 0:
            raise AssertionError(f"{args}: exit {p.returncode}: {p.stderr.strip()}")
        return p

    def put_and_read_with_boto3():
        src = WORK / "notes.txt"
        src.write_text("hello moto\n")
        run("put", str(src), "s3://flytedata/runs/notes.txt")
        body = s3.get_object(Bucket="flytedata", Key="runs/notes.txt")["Body"].read()
        expect(body == b"hello moto\n", body)

    def ls_and_cat():
        out = run("ls", "s3://flytedata/runs").stdout
        expect("11  s3://flytedata/runs/notes.txt" in out, out)
        expect(run("cat", "s3://flytedata/runs/notes.txt").stdout == "hello moto\n", "cat")

    def python_outputs_as_json():
        lm = literals_pb2.LiteralMap()
        lm.literals["answer"].scalar.primitive.integer = 42
        lm.literals["name"].scalar.primitive.string_value = "moto"
        s3.put_object(Bucket="flytedata", Key="exec/end-node/outputs.pb", Body=lm.SerializeToString())
        got = json.loads(run("cat", "s3://flytedata/exec/end-node/outputs.pb").stdout)
        expect(got == {"answer": 42, "name": "moto"}, got)

    def large_file_in_parts():
        big = WORK / "big.bin"
        with open(big, "wb") as f:
            for i in range(40):
                f.write(hashlib.sha256(str(i).encode()).digest() * 32768)  # 1 MiB each
        run("put", str(big), "s3://flytedata/big.bin")
        head = s3.head_object(Bucket="flytedata", Key="big.bin")
        expect(head["ContentLength"] == 40 * 1024 * 1024, head["ContentLength"])
        expect("-" in head["ETag"], f"a multipart upload has a part-count ETag: {head['ETag']}")
        back = WORK / "back.bin"
        run("get", "s3://flytedata/big.bin", str(back))
        expect(back.read_bytes() == big.read_bytes(), "round trip")
        return f"ETag {head['ETag']}"

    def rm_then_not_found():
        run("rm", "s3://flytedata/runs/notes.txt")
        p = run("cat", "s3://flytedata/runs/notes.txt", ok=False)
        expect(p.returncode == 1, p.returncode)
        expect(p.stderr.strip() == "error: s3://flytedata/runs/notes.txt: not found", p.stderr)
        expect("miniostorage" not in p.stderr, "secret in the error")

    check("put, read back with boto3", put_and_read_with_boto3)
    check("ls and cat", ls_and_cat)
    check("cat: an outputs.pb written by Python's flyteidl, as JSON", python_outputs_as_json)
    check("40 MiB put in parts and got back identical", large_file_in_parts)
    check("rm, then a clear not-found error", rm_then_not_found)
finally:
    server.terminate()

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)

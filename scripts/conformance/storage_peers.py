"""flyte-storage's cloud backends, through the `storage` example, against real servers.

Usage: storage_peers.py moto|azurite STORAGE_EXAMPLE WORKDIR [AZURITE_BIN]
Starts the server on a free port of 127.0.0.1 (moto's S3 server, or Azurite's blob service),
writes the flytectl config a user would (MinIO-style s3 with endpoint and access keys; stow kind
azure with Azurite's well-known development account), and checks, with the cloud's own Python
SDK as the independent reader and writer (boto3, azure-storage-blob): put/ls/cat/get/rm, a
LiteralMap outputs.pb written by Python read back as JSON (with an offloaded literal resolved
from its own file), a 40 MiB file that goes up in parts
and comes back identical, and a missing object's error without the secret.
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
import urllib.request

from flyteidl.core import literals_pb2

from checks import check, expect, finish

BACKEND, EXAMPLE, WORK = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
WORK.mkdir(parents=True, exist_ok=True)
BUCKET = "flytedata"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url):
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # answering, even if with an error status
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    raise SystemExit(f"{BACKEND} did not start at {url}")


class Moto:
    """moto's S3 server, as MinIO is configured in flytectl."""

    prefix = f"s3://{BUCKET}"
    secret = "miniostorage"

    def start(self):
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
        self.server = subprocess.Popen(
            [moto, "-H", "127.0.0.1", "-p", str(port)],
            stdout=open(WORK / "moto.log", "w"),
            stderr=subprocess.STDOUT,
        )
        wait_up(self.endpoint)
        import boto3

        self.s3 = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="minio",
            aws_secret_access_key=self.secret,
            region_name="us-east-1",
        )
        self.s3.create_bucket(Bucket=BUCKET)

    def config(self):
        return (
            f"storage:\n  type: minio\n  container: {BUCKET}\n  connection:\n"
            f"    endpoint: {self.endpoint}\n    auth-type: accesskey\n    access-key: minio\n"
            f"    secret-key: {self.secret}\n    disable-ssl: true\n"
        )

    def write(self, key, data):
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=data)

    def read(self, key):
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def size(self, key):
        return self.s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]

    def parts(self, key):
        etag = self.s3.head_object(Bucket=BUCKET, Key=key)["ETag"]
        expect("-" in etag, f"a multipart upload has a part-count ETag: {etag}")
        return f"ETag {etag}"


class Azurite:
    """Azurite's blob service, as a stow kind azure config names an account."""

    prefix = f"abfs://{BUCKET}"
    # Azurite's well-known development account and key, published by Microsoft.
    account = "devstoreaccount1"
    secret = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    def start(self):
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}/{self.account}"
        self.server = subprocess.Popen(
            [sys.argv[4], "--blobHost", "127.0.0.1", "--blobPort", str(port),
             "--location", str(WORK / "azurite-data"), "--skipApiVersionCheck", "--loose"],
            stdout=open(WORK / "azurite.log", "w"),
            stderr=subprocess.STDOUT,
        )
        wait_up(f"http://127.0.0.1:{port}/")
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(
            f"DefaultEndpointsProtocol=http;AccountName={self.account};"
            f"AccountKey={self.secret};BlobEndpoint={self.endpoint};"
        )
        self.container = service.create_container(BUCKET)

    def config(self):
        return (
            f"storage:\n  type: stow\n  container: {BUCKET}\n  stow:\n    kind: azure\n"
            f"    config:\n      account: {self.account}\n      key: {self.secret}\n"
            f"      endpoint: {self.endpoint}\n"
        )

    def write(self, key, data):
        self.container.upload_blob(key, data, overwrite=True)

    def read(self, key):
        return self.container.download_blob(key).readall()

    def size(self, key):
        return self.container.get_blob_client(key).get_blob_properties().size

    def parts(self, key):
        committed, _ = self.container.get_blob_client(key).get_block_list("committed")
        expect(len(committed) > 1, f"a multipart upload commits several blocks: {len(committed)}")
        return f"{len(committed)} blocks"


peer = {"moto": Moto, "azurite": Azurite}[BACKEND]()
peer.start()
try:
    config = WORK / "config.yaml"
    config.write_text(peer.config())
    env = {"HOME": str(WORK), "PATH": os.environ.get("PATH", "")}
    P = peer.prefix

    def run(*args, ok=True):
        p = subprocess.run([EXAMPLE, "--config", str(config), *args], capture_output=True, text=True, env=env)
        if ok and p.returncode != 0:
            raise AssertionError(f"{args}: exit {p.returncode}: {p.stderr.strip()}")
        return p

    def put_and_read_with_the_sdk():
        src = WORK / "notes.txt"
        src.write_text(f"hello {BACKEND}\n")
        run("put", str(src), f"{P}/runs/notes.txt")
        body = peer.read("runs/notes.txt")
        expect(body == f"hello {BACKEND}\n".encode(), body)

    def ls_and_cat():
        out = run("ls", f"{P}/runs").stdout
        size = len(f"hello {BACKEND}\n")
        expect(f"{size}  {P}/runs/notes.txt" in out, out)
        expect(run("cat", f"{P}/runs/notes.txt").stdout == f"hello {BACKEND}\n", "cat")

    def python_outputs_as_json():
        lm = literals_pb2.LiteralMap()
        lm.literals["answer"].scalar.primitive.integer = 42
        lm.literals["name"].scalar.primitive.string_value = BACKEND
        peer.write("exec/end-node/outputs.pb", lm.SerializeToString())
        got = json.loads(run("cat", f"{P}/exec/end-node/outputs.pb").stdout)
        expect(got == {"answer": 42, "name": BACKEND}, got)

    def python_offloaded_literal_resolved():
        # Flyte 1.13+ offloads large literals: the map holds a pointer, the value has a file.
        stored = literals_pb2.Literal()
        for i in range(3):
            stored.collection.literals.add().scalar.primitive.integer = i
        peer.write("exec/n1/offloaded/xs.pb", stored.SerializeToString())
        lm = literals_pb2.LiteralMap()
        lm.literals["xs"].offloaded_metadata.uri = f"{P}/exec/n1/offloaded/xs.pb"
        lm.literals["xs"].offloaded_metadata.size_bytes = stored.ByteSize()
        peer.write("exec/n1/outputs.pb", lm.SerializeToString())
        got = json.loads(run("cat", f"{P}/exec/n1/outputs.pb").stdout)
        expect(got == {"xs": [0, 1, 2]}, got)

    def large_file_in_parts():
        big = WORK / "big.bin"
        with open(big, "wb") as f:
            for i in range(40):
                f.write(hashlib.sha256(str(i).encode()).digest() * 32768)  # 1 MiB each
        run("put", str(big), f"{P}/big.bin")
        expect(peer.size("big.bin") == 40 * 1024 * 1024, peer.size("big.bin"))
        detail = peer.parts("big.bin")
        back = WORK / "back.bin"
        run("get", f"{P}/big.bin", str(back))
        expect(back.read_bytes() == big.read_bytes(), "round trip")
        return detail

    def rm_then_not_found():
        run("rm", f"{P}/runs/notes.txt")
        p = run("cat", f"{P}/runs/notes.txt", ok=False)
        expect(p.returncode == 1, p.returncode)
        expect(p.stderr.strip() == f"error: {P}/runs/notes.txt: not found", p.stderr)
        expect(peer.secret not in p.stderr, "secret in the error")

    check(f"put, read back with {BACKEND}'s SDK", put_and_read_with_the_sdk)
    check("ls and cat", ls_and_cat)
    check("cat: an outputs.pb written by Python's flyteidl, as JSON", python_outputs_as_json)
    check("cat: an offloaded literal written by Python's flyteidl, resolved", python_offloaded_literal_resolved)
    check("40 MiB put in parts and got back identical", large_file_in_parts)
    check("rm, then a clear not-found error", rm_then_not_found)
finally:
    peer.server.terminate()

finish()

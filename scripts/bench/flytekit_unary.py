"""flytekit's raw client: median time per unary call, for the side-by-side run in bench.sh.

Usage: flytekit_unary.py GRPC_PORT ROUNDS CALLS
Calls ListProjects (limit 100, what our client's stream asks for) through
RawSynchronousFlyteClient, and GetVersion through the same channel's AdminService stub (flytekit
has no GetVersion helper), against the standalone flyte-testkit. Prints one line per RPC in the
format of the Rust bench: `RPC flytekit MICROS us`.
"""

import statistics
import sys
import time

from flyteidl.admin import project_pb2, version_pb2
from flytekit.clients.raw import RawSynchronousFlyteClient
from flytekit.configuration import PlatformConfig

port, rounds, calls = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
client = RawSynchronousFlyteClient(PlatformConfig(endpoint=f"127.0.0.1:{port}", insecure=True))
list_request = project_pb2.ProjectListRequest(limit=100)
version_request = version_pb2.GetVersionRequest()


def per_call(fn):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def get_version():
    client._stub.GetVersion(version_request, metadata=client._metadata)


def list_projects():
    projects = client.list_projects(list_request)
    if not projects.projects:
        raise SystemExit("ListProjects returned no projects: the test kit is not the one expected")


for _ in range(200):
    get_version()
    list_projects()

times = {"GetVersion": [], "ListProjects": []}
for _ in range(rounds):
    times["GetVersion"].append(per_call(get_version))
    times["ListProjects"].append(per_call(list_projects))
for rpc, xs in times.items():
    print(f"{rpc:<14} {'flytekit':<20} {statistics.median(xs) * 1e6:>9.1f} us")

"""flytekit's client registering a pyflyte package serially, as flytectl does: one create call
per file, in file order. Prints the seconds the calls took.

Usage: flytekit_register.py GRPC_PORT ARCHIVE PROJECT DOMAIN VERSION
"""

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "conformance"))

from flytekit.clients.raw import RawSynchronousFlyteClient  # noqa: E402
from flytekit.configuration import PlatformConfig  # noqa: E402
from pyflyte_hydrate import create_requests  # noqa: E402

port, archive, project, domain, version = sys.argv[1:6]
requests = create_requests(archive, project, domain, version)
client = RawSynchronousFlyteClient(PlatformConfig(endpoint=f"127.0.0.1:{port}", insecure=True))
create = {"task": client.create_task, "workflow": client.create_workflow,
          "launch plan": client.create_launch_plan}
start = time.perf_counter()
for kind, request in requests:
    create[kind](request)
print(f"{time.perf_counter() - start:.4f}")

"""flytekit fetching every page of executions, for scripts/bench/list_memory.sh.

Usage: flytekit_list.py GRPC_PORT TAKE
Reads pages of 1000 executions (the Rust bench's page) of flytesnacks/development with
SynchronousFlyteClient.list_executions_paginated, keeping them as FlyteRemote's users do (a
list), until TAKE executions or the last page. Prints one line in the format of the Rust
bench's children: `count<TAB>peak RSS before (KiB)<TAB>peak RSS after (KiB)<TAB>ms`, the peak
being ru_maxrss (KiB on Linux).
"""

import resource
import sys
import time

from flytekit.clients.friendly import SynchronousFlyteClient
from flytekit.configuration import PlatformConfig

port, take = int(sys.argv[1]), int(sys.argv[2])
client = SynchronousFlyteClient(PlatformConfig(endpoint=f"127.0.0.1:{port}", insecure=True))


def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


client.list_projects_paginated(limit=1)
before = peak()
start = time.perf_counter()
executions, token = [], None
while len(executions) < take:
    page, token = client.list_executions_paginated("flytesnacks", "development", limit=1000, token=token)
    executions.extend(page)
    if not token:
        break
executions = executions[:take]
ms = int((time.perf_counter() - start) * 1000)
print(f"{len(executions)}\t{before}\t{peak()}\t{ms}")

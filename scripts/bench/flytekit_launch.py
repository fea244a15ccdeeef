"""flytekit's FlyteRemote launching executions one after another, for scripts/bench/launch.sh.

Usage: flytekit_launch.py GRPC_PORT N VERSION
Fetches launch plan `wf` at VERSION in flytesnacks/development once, then calls
FlyteRemote.execute N times (wait=False), as a backfill loop would. Prints one line in the
format of the Rust bench: `LABEL N SECONDS s RATE/s`.
"""

import sys
import time

from flytekit.configuration import Config
from flytekit.remote import FlyteRemote

port, n, version = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
remote = FlyteRemote(
    Config.for_endpoint(f"127.0.0.1:{port}", insecure=True),
    default_project="flytesnacks",
    default_domain="development",
)
lp = remote.fetch_launch_plan(name="wf", version=version)
start = time.perf_counter()
for i in range(n):
    remote.execute(lp, inputs={"x": i}, wait=False)
took = time.perf_counter() - start
print(f"{'flytekit FlyteRemote.execute':<32} {n:>6} {took:>8.3f} s {n / took:>9.1f}/s")

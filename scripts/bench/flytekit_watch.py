"""flytekit's FlyteRemote waiting on each execution of a batch, one thread each, for
scripts/bench/watch.sh: the calls the test kit counted during the wait and the delay from the
end of the execution that ended last to the moment its wait returned, and that delay's mean
over all executions.

Usage: flytekit_watch.py GRPC_PORT HTTP_URL COUNT PREFIX
Waits on PREFIX0 .. PREFIX{COUNT-1} in flytesnacks/development with `FlyteRemote.wait`
polling every 5 s (as the Rust side does) and prints one line in the format of the Rust bench.
"""

import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timezone

from flytekit.configuration import Config
from flytekit.remote import FlyteRemote

port, http, count, prefix = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
remote = FlyteRemote(
    Config.for_endpoint(f"127.0.0.1:{port}", insecure=True),
    default_project="flytesnacks",
    default_domain="development",
)


def calls():
    with urllib.request.urlopen(f"{http}/testkit/calls") as response:
        return json.load(response)


def wait(i):
    execution = remote.fetch_execution(name=f"{prefix}{i}")
    execution = remote.wait(execution, poll_interval=5, timeout=600)
    return execution, time.time()


def ended_at(execution):
    t = execution.closure.updated_at
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


before = calls()
start = time.time()
with ThreadPoolExecutor(max_workers=count) as pool:
    finals = list(pool.map(wait, range(count)))
wall = time.time() - start
after = calls()
spent = {rpc: n - before.get(rpc, 0) for rpc, n in after.items() if n - before.get(rpc, 0) > 0}
last, seen = max(finals, key=lambda f: ended_at(f[0]))
detail = ", ".join(f"{rpc} {n}" for rpc, n in sorted(spent.items()))
mean = sum(t - ended_at(e) for e, t in finals) / len(finals)
name = "FlyteRemote.wait x N"
print(
    f"{name:<22} {len(finals)} executions  calls {sum(spent.values()):>6} ({detail})"
    f"  last end -> seen {seen - ended_at(last):.3f} s  mean end -> seen {mean:.3f} s  watch {wall:.1f} s"
)

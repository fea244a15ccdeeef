"""Real pyflyte and FlyteRemote runs of the types and node kinds modern flytekit uses, against the
standalone flyte-testkit.

Usage: testkit_types.py GRPC_PORT WORKDIR
The test kit must run with `--dynamic shapes.nodes_wf.fan=shapes.nodes_wf.sq,shapes.nodes_wf.sq`
(the dynamic task of shapes/nodes_wf.py and what it yields). The workflows are the package
`shapes` of flyte-admin-client's pyflyte fixtures (tests/fixtures/pyflyte/src/shapes): dataclasses (nested, with defaults and lists), dicts, lists of dataclasses, Optional,
Enum, datetime/duration and files; map, dynamic, sub-workflow, launch-plan and branch nodes.
Prints one line per check and 'N passed, M failed'; exits 1 on any failure.
"""

import datetime
import pathlib
import shutil
import subprocess
import sys
import typing
import urllib.request
from datetime import timedelta

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.service import dataproxy_pb2
from flytekit.configuration import Config, PlatformConfig
from flytekit.remote import FlyteRemote
from flytekit.types.file import FlyteFile

from checks import check, expect, finish

PORT = int(sys.argv[1])
WORK = pathlib.Path(sys.argv[2])
ENDPOINT = f"127.0.0.1:{PORT}"
PROJECT, DOMAIN = "flytesnacks", "development"
ROOT = pathlib.Path(__file__).resolve().parents[2]
SRC = WORK / "typed"
shutil.copytree(ROOT / "flyte-admin-client/tests/fixtures/pyflyte/src/shapes", SRC / "shapes", dirs_exist_ok=True)
sys.path.insert(0, str(SRC))

from shapes.types_wf import Color, Point, Shape  # noqa: E402
from shapes import nodes_wf, types_wf  # noqa: E402

CONFIG = WORK / "config.yaml"
CONFIG.write_text(f"admin:\n  endpoint: dns:///{ENDPOINT}\n  insecure: true\n")
SUCCEEDED = core_execution_pb2.WorkflowExecution.SUCCEEDED
WAIT = dict(timeout=timedelta(seconds=60), poll_interval=timedelta(milliseconds=200))

remote = FlyteRemote(Config(platform=PlatformConfig(endpoint=ENDPOINT, insecure=True)),
                     default_project=PROJECT, default_domain=DOMAIN)


def pyflyte(*args):
    """Runs pyflyte against the test kit; returns its output, raising with it on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "flytekit.clis.sdk_in_container.pyflyte", "--config", str(CONFIG), *args],
        cwd=SRC, capture_output=True, text=True, timeout=300,
    )
    out = done.stdout + done.stderr
    if done.returncode != 0:
        raise AssertionError(f"pyflyte {' '.join(args)} failed:\n{out[-3000:]}")
    return out


def run_remote(path, wf, *inputs):
    """`pyflyte run --remote --wait`; returns the synced execution."""
    out = pyflyte("run", "--remote", "-p", PROJECT, "-d", DOMAIN, "--wait", path, wf, *inputs)
    expect("has succeeded" in out, out[-2000:])
    name = out.split("executions/")[1].split()[0].strip()
    exe = remote.fetch_execution(name=name)
    return remote.sync_execution(exe, sync_nodes=True)


def dataclass_in_and_out():
    exe = run_remote("shapes/types_wf.py", "shape_wf", "--s",
                     '{"name": "tri", "corners": [{"x": 1, "y": 2.5}], "tags": {"k": "v"}}')
    sent = exe.inputs.get("s", as_type=Shape)
    expect(sent == Shape(name="tri", corners=[Point(1, 2.5)], tags={"k": "v"}), sent)
    got = exe.outputs.get("o0", as_type=Shape)
    expect(got == Shape(name="", corners=[], origin=Point(), tags={}, note=None), got)
    # Without a type, FlyteRemote builds a class from the declared JSON schema.
    guessed = exe.outputs.get("o0")
    expect(guessed.origin.x == 0 and guessed.corners == [], guessed)


def list_of_dataclasses():
    exe = run_remote("shapes/types_wf.py", "points_wf", "--ps", '[{"x": 1, "y": 1.0}, {"x": 2}]')
    expect(exe.inputs.get("ps", as_type=list[Point]) == [Point(1, 1.0), Point(2, 0.0)], exe.inputs)
    expect(exe.outputs.get("o0", as_type=Point) == Point(), exe.outputs)


def dicts():
    exe = run_remote("shapes/types_wf.py", "dict_wf", "--d", '{"a": 1, "b": [1, 2]}', "--more", '{"x": 3}')
    expect(exe.inputs.get("d", as_type=dict) == {"a": 1, "b": [1, 2]}, exe.inputs)
    expect(exe.inputs.get("more", as_type=dict[str, int]) == {"x": 3}, exe.inputs)
    expect(exe.outputs.get("o0", as_type=dict) == {}, exe.outputs)


def enum_dates_optional():
    exe = run_remote("shapes/types_wf.py", "scalars_wf", "--c", "green", "--at", "2024-01-02T03:04:05",
                     "--every", "1:30", "--maybe", "5")
    expect(exe.inputs.get("c", as_type=Color) == Color.GREEN, exe.inputs)
    expect(exe.inputs.get("maybe", as_type=typing.Optional[int]) == 5, exe.inputs)
    expect(exe.outputs.get("o0", as_type=Color) == Color.RED, exe.outputs)
    expect(exe.outputs.get("o1", as_type=datetime.datetime).timestamp() == 0, exe.outputs)
    expect(exe.outputs.get("o2", as_type=datetime.timedelta) == timedelta(0), exe.outputs)
    expect(exe.outputs.get("o3", as_type=typing.Optional[int]) is None, exe.outputs)


def local_file():
    path = WORK / "hello.txt"
    path.write_bytes(b"hello from pyflyte\n")
    exe = run_remote("shapes/types_wf.py", "file_wf", "--f", str(path))
    sent = exe.inputs.get("f", as_type=FlyteFile)
    expect(sent.remote_source.startswith("s3://flyte-testkit/"), sent.remote_source)
    out = exe.outputs.get("o0", as_type=FlyteFile)
    # The output file exists in the test kit's store: the data proxy signs a link that works.
    link = remote.client.create_download_location(
        dataproxy_pb2.CreateDownloadLocationRequest(native_url=out.remote_source))
    with urllib.request.urlopen(link.signed_url) as r:  # noqa: S310 - the test kit on 127.0.0.1
        expect(r.status == 200, r.status)
    return out.remote_source


VERSION = "typed-v1"


def register_directory():
    out = pyflyte("register", "-p", PROJECT, "-d", DOMAIN, "--version", VERSION, "--image",
                  "ghcr.io/flyteorg/flytekit:py3.11-1.16.31", "shapes")
    # pyflyte prints a line per entity; the launch plan with dataclass defaults is among them.
    expect("Launch Plan: shape_defaults" in out, out[-2000:])
    lp = remote.fetch_launch_plan(name="shape_defaults", version=VERSION)
    expect("s" in lp.default_inputs.parameters, lp.default_inputs)


def launch_plan_dataclass_defaults():
    lp = remote.fetch_launch_plan(name="shape_defaults", version=VERSION)
    exe = remote.wait(remote.execute(lp, inputs={}), **WAIT)
    expect(exe.closure.phase == SUCCEEDED, exe.closure.phase)
    want = Shape(name="square", corners=[Point(1, 1.5), Point(2, 2.5)], tags={"k": "v"})
    expect(exe.inputs.get("s", as_type=Shape) == want, exe.inputs)


def register_script_and_execute():
    wf = remote.register_script(types_wf.shape_wf, version="script-v1", source_path=str(SRC),
                                module_name="shapes.types_wf", copy_all=True)
    exe = remote.execute(wf, inputs={"s": Shape(name="hex", origin=Point(3, 4.0))}, wait=True)
    expect(exe.closure.phase == SUCCEEDED, exe.closure.phase)
    expect(exe.inputs.get("s", as_type=Shape).origin == Point(3, 4.0), exe.inputs)
    expect(exe.outputs.get("o0", as_type=Shape) == Shape(name=""), exe.outputs)


def node_tree(wf, *inputs):
    exe = run_remote("shapes/nodes_wf.py", wf, *inputs)
    nodes = {k: v for k, v in exe.node_executions.items() if k not in ("start-node", "end-node")}
    return exe, nodes


def map_nodes():
    _, nodes = node_tree("map_wf", "--xs", "[1, 2, 3]")
    arrays = [n for n in nodes.values() if n.metadata.is_array]
    expect(len(arrays) == 1 and len(nodes) == 2, list(nodes))
    (task_exec,) = arrays[0].task_executions
    resources = task_exec.closure.metadata.external_resources
    expect([r.index for r in resources] == [0, 1, 2], resources)
    return ", ".join(sorted(nodes))


def dynamic_nodes():
    _, nodes = node_tree("dynamic_wf", "--n", "2")
    (dyn,) = [n for n in nodes.values() if n.metadata.is_dynamic]
    children = sorted(k for k in dyn.subworkflow_node_executions if "start-node" not in k and "end-node" not in k)
    expect(children == ["n0-0-dn0", "n0-0-dn1"], list(dyn.subworkflow_node_executions))
    return ", ".join(children)


def subworkflow_nodes():
    _, nodes = node_tree("sub_wf", "--x", "3")
    expect(all(n.metadata.is_parent_node for n in nodes.values()) and len(nodes) == 2, list(nodes))
    kids = sorted(nodes["n1"].subworkflow_node_executions)
    expect(kids == ["n1-0-end-node", "n1-0-n0", "n1-0-start-node"], kids)
    expect(nodes["n1"].subworkflow_node_executions["n1-0-n0"].task_executions, "no task execution")


def launch_plan_nodes():
    _, nodes = node_tree("lp_wf", "--x", "2")
    (child,) = nodes["n0"].workflow_executions
    from flyteidl.admin import execution_pb2
    expect(child.spec.metadata.mode == execution_pb2.ExecutionMetadata.CHILD_WORKFLOW, child.spec.metadata)
    expect(child.spec.metadata.parent_node_execution.node_id == "n0", child.spec.metadata)


def branch_nodes():
    _, nodes = node_tree("branch_wf", "--x", "-4")
    # x < 0: the else branch (a sub-workflow), named by FlyteAdmin's compiler n0-n1.
    kids = list(nodes["n0"].subworkflow_node_executions)
    expect(kids == ["n0-0-n0-n1"], kids)


check("pyflyte run --remote: a nested dataclass in and out", dataclass_in_and_out)
check("pyflyte run --remote: a list of dataclasses", list_of_dataclasses)
check("pyflyte run --remote: dict and dict[str, int]", dicts)
check("pyflyte run --remote: Enum, datetime, timedelta, Optional", enum_dates_optional)
check("pyflyte run --remote: a local file through the data proxy", local_file)
check("pyflyte register of a directory", register_directory)
check("a launch plan with dataclass default inputs", launch_plan_dataclass_defaults)
check("FlyteRemote register_script, execute a dataclass, outputs as_type", register_script_and_execute)
check("sync_nodes: a map task's array node and its elements", map_nodes)
check("sync_nodes: a dynamic node's generated children", dynamic_nodes)
check("sync_nodes: sub-workflow nodes and their children", subworkflow_nodes)
check("sync_nodes: a launch plan node's child execution", launch_plan_nodes)
check("sync_nodes: the branch taken", branch_nodes)

finish()

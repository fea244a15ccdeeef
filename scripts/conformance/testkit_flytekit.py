"""flytekit's own client against the standalone flyte-testkit.

Usage: testkit_flytekit.py GRPC_PORT WORKDIR
Packages workflows with `pyflyte package`, registers them the way flytectl does (hydrating project,
domain and version), and drives the test kit with flytekit's raw client and FlyteRemote. Prints one
line per check and a closing 'N passed, M failed' line; exits 1 on any failure.
"""

import os
import pathlib
import subprocess
import sys
import textwrap
import urllib.request
from datetime import timedelta

from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2, project_pb2
from flyteidl.admin import task_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import dataproxy_pb2
from flytekit.clients.raw import RawSynchronousFlyteClient
from flytekit.configuration import Config, PlatformConfig
from flytekit.exceptions.user import FlyteEntityAlreadyExistsException
from flytekit.remote import FlyteRemote

from checks import check, expect, finish
from pyflyte_hydrate import create_requests

PORT = int(sys.argv[1])
WORK = pathlib.Path(sys.argv[2])
ENDPOINT = f"127.0.0.1:{PORT}"
PROJECT, DOMAIN, VERSION = "conformance", "development", "v1"


# ---------------------------------------------------------------------------------------------
# Workflows, packaged by pyflyte

SRC = WORK / "src"
(SRC / "demo").mkdir(parents=True, exist_ok=True)
(SRC / "demo" / "__init__.py").write_text("")
(SRC / "demo" / "flows.py").write_text(textwrap.dedent('''
    import typing
    from flytekit import task, workflow, LaunchPlan, map_task, conditional

    Out = typing.NamedTuple("Out", [("name", str)])

    @task
    def shout(name: str) -> str:
        return name.upper()

    @task
    def double(x: int) -> int:
        return 2 * x

    @task
    def add_all(xs: typing.List[int]) -> int:
        return sum(xs)

    @workflow
    def echo_wf(name: str) -> Out:
        return Out(name=shout(name=name))

    @workflow
    def sum_of_doubles(xs: typing.List[int]) -> int:
        return add_all(xs=map_task(double)(x=xs))

    @workflow
    def branchy(x: int) -> int:
        return conditional("sign").if_(x >= 0).then(double(x=x)).else_().then(double(x=0))

    defaults = LaunchPlan.get_or_create(sum_of_doubles, name="sum_of_doubles_default", default_inputs={"xs": [1, 2, 3]})
'''))
ARCHIVE = WORK / "flows.tgz"
subprocess.run(
    [sys.executable, "-m", "flytekit.clis.sdk_in_container.pyflyte", "--pkgs", "demo", "package",
     "--image", "ghcr.io/flyteorg/flytekit:py3.11-1.16.31", "-f", "-o", str(ARCHIVE)],
    cwd=SRC, check=True, capture_output=True,
)

client = RawSynchronousFlyteClient(PlatformConfig(endpoint=ENDPOINT, insecure=True))
ENTITIES = create_requests(ARCHIVE, PROJECT, DOMAIN, VERSION)


def create(kind, req):
    {"task": client.create_task, "workflow": client.create_workflow,
     "launch plan": client.create_launch_plan}[kind](req)


def register_project():
    client.register_project(project_pb2.ProjectRegisterRequest(
        project=project_pb2.Project(id=PROJECT, name="Conformance", description="flytekit against flyte-testkit")))
    listed = client.list_projects(project_pb2.ProjectListRequest(limit=100))
    got = next((p for p in listed.projects if p.id == PROJECT), None)
    expect(got is not None, [p.id for p in listed.projects])
    expect([d.id for d in got.domains] == ["development", "staging", "production"], got.domains)


def register_all():
    for kind, req in ENTITIES:
        create(kind, req)
    return f"{len(ENTITIES)} entities"


def reregister_all():
    exists = 0
    for kind, req in ENTITIES:
        try:
            create(kind, req)
        except FlyteEntityAlreadyExistsException:
            exists += 1
    expect(exists == len(ENTITIES), f"{exists} of {len(ENTITIES)} answered ALREADY_EXISTS")


def changed_task_is_refused():
    kind, req = next((k, r) for k, r in ENTITIES if k == "task")
    changed = task_pb2.TaskCreateRequest()
    changed.CopyFrom(req)
    changed.spec.template.container.image = "changed:latest"
    try:
        create(kind, changed)
    except Exception as e:  # noqa: BLE001
        expect("different structure" in str(e), str(e))
        return
    raise AssertionError("a different spec under the same version was accepted")


def lp_id(name):
    return identifier_pb2.Identifier(resource_type=identifier_pb2.LAUNCH_PLAN, project=PROJECT, domain=DOMAIN,
                                     name=name, version=VERSION)


def activate():
    client.update_launch_plan(launch_plan_pb2.LaunchPlanUpdateRequest(
        id=lp_id("sum_of_doubles_default"), state=launch_plan_pb2.ACTIVE))
    active = client.get_active_launch_plan(launch_plan_pb2.ActiveLaunchPlanRequest(
        id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN, name="sum_of_doubles_default")))
    expect(active.closure.state == launch_plan_pb2.ACTIVE, active.closure)


remote = FlyteRemote(Config(platform=PlatformConfig(endpoint=ENDPOINT, insecure=True)),
                     default_project=PROJECT, default_domain=DOMAIN)


def launch_and_read_outputs():
    lp = remote.fetch_launch_plan(name="demo.flows.echo_wf", version=VERSION)
    exe = remote.execute(lp, inputs={"name": "conformance"})
    exe = remote.wait(exe, timeout=timedelta(seconds=60), poll_interval=timedelta(milliseconds=200))
    expect(exe.closure.phase == core_execution_pb2.WorkflowExecution.SUCCEEDED, exe.closure.phase)
    expect(exe.outputs["name"] == "conformance", exe.outputs)
    return exe.id.name


def launch_with_defaults():
    lp = remote.fetch_launch_plan(name="sum_of_doubles_default", version=VERSION)
    exe = remote.execute(lp, inputs={})
    exe = remote.wait(exe, timeout=timedelta(seconds=60), poll_interval=timedelta(milliseconds=200))
    expect(exe.inputs["xs"] == [1, 2, 3], exe.inputs)
    expect(exe.outputs["o0"] == 0, exe.outputs)


def branch_node_executions():
    lp = remote.fetch_launch_plan(name="demo.flows.branchy", version=VERSION)
    exe = remote.execute(lp, inputs={"x": 2})
    exe = remote.wait(exe, timeout=timedelta(seconds=60), poll_interval=timedelta(milliseconds=200), sync_nodes=True)
    expect(exe.closure.phase == core_execution_pb2.WorkflowExecution.SUCCEEDED, exe.closure.phase)
    branch = [n for n in exe.node_executions.values() if n.metadata.is_parent_node]
    expect(len(branch) == 1, list(exe.node_executions))
    children = branch[0].subworkflow_node_executions
    expect(len(children) == 1, children)
    return ", ".join(sorted(exe.node_executions))


def bad_execution_name():
    lp = remote.fetch_launch_plan(name="demo.flows.echo_wf", version=VERSION)
    try:
        remote.execute(lp, inputs={"name": "x"}, execution_name="not_valid")
    except Exception as e:  # noqa: BLE001
        expect("invalid name format" in str(e), str(e))
        return
    raise AssertionError("an execution name with an underscore was accepted")


def list_pages_and_filters():
    def page(token, limit, filters=""):
        return client.list_executions_paginated(common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=PROJECT, domain=DOMAIN), limit=limit, token=token,
            filters=filters))
    everything = page("", 100)
    total = len(everything.executions)
    expect(total >= 2, f"{total} executions")
    first = page("", 1)
    expect(first.token == "1" and len(first.executions) == 1, first.token)
    second = page(first.token, 1)
    expect(second.executions[0].id.name != first.executions[0].id.name, "pages overlap")
    done = page("", 100, "eq(phase,SUCCEEDED)")
    expect(all(e.closure.phase == core_execution_pb2.WorkflowExecution.SUCCEEDED for e in done.executions), done)
    try:
        page("", 0)
    except Exception as e:  # noqa: BLE001
        expect("invalid value for limit" in str(e), str(e))
    else:
        raise AssertionError("limit 0 was accepted")
    return f"{total} executions, pages of one"


def terminate():
    lp = remote.fetch_launch_plan(name="demo.flows.echo_wf", version=VERSION)
    exe = remote.execute(lp, inputs={"name": "stop me"})
    client.terminate_execution(execution_pb2.ExecutionTerminateRequest(id=exe.id.to_flyte_idl(), cause="conformance"))
    exe = remote.wait(exe, timeout=timedelta(seconds=60), poll_interval=timedelta(milliseconds=200))
    expect(exe.closure.phase == core_execution_pb2.WorkflowExecution.ABORTED, exe.closure.phase)


def upload_through_the_data_proxy():
    path = WORK / "hello.txt"
    path.write_bytes(b"hello from flytekit\n")
    md5, native_url = remote.upload_file(path)
    expect(native_url.startswith(f"s3://flyte-testkit/{PROJECT}/{DOMAIN}/"), native_url)
    link = client.create_download_location(dataproxy_pb2.CreateDownloadLocationRequest(native_url=native_url))
    with urllib.request.urlopen(link.signed_url) as r:  # noqa: S310 - the test kit on 127.0.0.1
        expect(r.read() == path.read_bytes(), "downloaded bytes differ")
    return native_url


check("register a project", register_project)
check("register every entity of a pyflyte archive", register_all)
check("re-registering answers ALREADY_EXISTS", reregister_all)
check("a different spec under the same version is refused", changed_task_is_refused)
check("activate a launch plan", activate)
check("launch with native inputs, wait, read outputs", launch_and_read_outputs)
check("launch plan defaults fill missing inputs", launch_with_defaults)
check("branch nodes sync with their child node", branch_node_executions)
check("bad execution names are refused", bad_execution_name)
check("list executions with pages and filters", list_pages_and_filters)
check("terminate a running execution", terminate)
check("upload a file through the data proxy", upload_through_the_data_proxy)

finish()

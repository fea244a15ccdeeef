"""A cached flytekit task run twice through FlyteRemote against the standalone flyte-testkit.

Usage: testkit_cache.py GRPC_PORT WORKDIR
Packages `@task(cache=True, cache_version="1")` with `pyflyte package`, registers it as flytectl
does, and runs it (in a workflow, and alone) twice with FlyteRemote: the first run's node shows
CACHE_POPULATED, the second's CACHE_HIT with the first run as its source and the same outputs;
`overwrite_cache=True` runs it again (CACHE_POPULATED); flyteidl's own DataCatalog stub reads the
artifact on the test kit's gRPC port. Prints one line per check and a closing
'N passed, M failed' line; exits 1 on any failure.
"""

import pathlib
import subprocess
import sys
import textwrap
from datetime import timedelta

import grpc
from flyteidl.core import catalog_pb2
from flyteidl.datacatalog import datacatalog_pb2, datacatalog_pb2_grpc
from flyteidl.core import execution_pb2 as core_execution_pb2
from flytekit.clients.raw import RawSynchronousFlyteClient
from flytekit.configuration import Config, PlatformConfig
from flytekit.exceptions.user import FlyteEntityAlreadyExistsException
from flytekit.remote import FlyteRemote

from checks import check, expect, finish
from pyflyte_hydrate import create_requests

PORT = int(sys.argv[1])
WORK = pathlib.Path(sys.argv[2])
ENDPOINT = f"127.0.0.1:{PORT}"
PROJECT, DOMAIN, VERSION = "flytesnacks", "development", "cache-v1"

SRC = WORK / "src"
(SRC / "cachedemo").mkdir(parents=True, exist_ok=True)
(SRC / "cachedemo" / "__init__.py").write_text("")
(SRC / "cachedemo" / "flows.py").write_text(textwrap.dedent('''
    from flytekit import task, workflow

    @task(cache=True, cache_version="1")
    def slow_square(x: int) -> int:
        return x * x

    @task
    def plain(x: int) -> int:
        return x

    @workflow
    def cached_wf(x: int) -> int:
        return plain(x=slow_square(x=x))
'''))
ARCHIVE = WORK / "cache.tgz"
subprocess.run(
    [sys.executable, "-m", "flytekit.clis.sdk_in_container.pyflyte", "--pkgs", "cachedemo", "package",
     "--image", "ghcr.io/flyteorg/flytekit:py3.11-1.16.31", "-f", "-o", str(ARCHIVE)],
    cwd=SRC, check=True, capture_output=True,
)

client = RawSynchronousFlyteClient(PlatformConfig(endpoint=ENDPOINT, insecure=True))
remote = FlyteRemote(Config(platform=PlatformConfig(endpoint=ENDPOINT, insecure=True)),
                     default_project=PROJECT, default_domain=DOMAIN)
WAIT = {"timeout": timedelta(seconds=60), "poll_interval": timedelta(milliseconds=200), "sync_nodes": True}
runs = {}


def register():
    entities = create_requests(ARCHIVE, PROJECT, DOMAIN, VERSION)
    for kind, req in entities:
        create = {"task": client.create_task, "workflow": client.create_workflow,
                  "launch plan": client.create_launch_plan}[kind]
        try:
            create(req)
        except FlyteEntityAlreadyExistsException:
            pass
    task = remote.fetch_task(name="cachedemo.flows.slow_square", version=VERSION)
    md = task.template.metadata
    expect(md.discoverable and md.discovery_version == "1", md)
    return f"{len(entities)} entities"


def cached_node(exe):
    nodes = [n for n in exe.node_executions.values() if n.id.node_id not in ("start-node", "end-node")
             and n.metadata.spec_node_id == "n0"]
    expect(len(nodes) == 1, list(exe.node_executions))
    return nodes[0]


def launch(name, overwrite=False):
    lp = remote.fetch_launch_plan(name="cachedemo.flows.cached_wf", version=VERSION)
    exe = remote.execute(lp, inputs={"x": 7}, overwrite_cache=overwrite)
    exe = remote.wait(exe, **WAIT)
    expect(exe.closure.phase == core_execution_pb2.WorkflowExecution.SUCCEEDED, exe.closure.phase)
    runs[name] = exe
    return exe


def first_run_populates():
    exe = launch("first")
    meta = cached_node(exe).closure.task_node_metadata
    expect(meta is not None, "no task_node_metadata")
    expect(meta.cache_status == catalog_pb2.CACHE_POPULATED, meta.cache_status)
    key = meta.catalog_key
    expect(key.dataset_id.name == "flyte_task-cachedemo.flows.slow_square", key.dataset_id)
    expect(key.dataset_id.version.startswith("1-"), key.dataset_id.version)
    expect(key.artifact_tag.name.startswith("flyte_cached-"), key.artifact_tag.name)
    return f"{key.dataset_id.name}/{key.dataset_id.version} {key.artifact_tag.name}"


def second_run_hits():
    exe = launch("second")
    node = cached_node(exe)
    meta = node.closure.task_node_metadata
    expect(meta.cache_status == catalog_pb2.CACHE_HIT, meta.cache_status)
    first = cached_node(runs["first"]).closure.task_node_metadata.catalog_key
    expect(meta.catalog_key.artifact_tag.artifact_id == first.artifact_tag.artifact_id, meta.catalog_key)
    source = meta.catalog_key.source_task_execution
    expect(source.node_execution_id.execution_id.name == runs["first"].id.name, source)
    expect(node.task_executions == [], node.task_executions)
    expect(exe.outputs["o0"] == runs["first"].outputs["o0"], (exe.outputs, runs["first"].outputs))
    plain = [n for n in exe.node_executions.values() if n.metadata.spec_node_id == "n1"]
    expect(plain and plain[0].closure.task_node_metadata.cache_status == catalog_pb2.CACHE_DISABLED, plain)
    return f"source {source.node_execution_id.execution_id.name}/{source.node_execution_id.node_id}"


def overwrite_repopulates():
    exe = launch("overwrite", overwrite=True)
    meta = cached_node(exe).closure.task_node_metadata
    expect(meta.cache_status == catalog_pb2.CACHE_POPULATED, meta.cache_status)
    source = meta.catalog_key.source_task_execution
    expect(source.node_execution_id.execution_id.name == exe.id.name, source)


def task_alone_hits_the_second_time():
    task = remote.fetch_task(name="cachedemo.flows.slow_square", version=VERSION)
    statuses = []
    for _ in range(2):
        exe = remote.wait(remote.execute(task, inputs={"x": 11}), **WAIT)
        expect(exe.closure.phase == core_execution_pb2.WorkflowExecution.SUCCEEDED, exe.closure.phase)
        nodes = [n for n in exe.node_executions.values() if n.id.node_id not in ("start-node", "end-node")]
        statuses.append(nodes[0].closure.task_node_metadata.cache_status)
    expect(statuses == [catalog_pb2.CACHE_POPULATED, catalog_pb2.CACHE_HIT], statuses)


def datacatalog_stub_reads_the_artifact():
    key = cached_node(runs["overwrite"]).closure.task_node_metadata.catalog_key
    stub = datacatalog_pb2_grpc.DataCatalogStub(grpc.insecure_channel(ENDPOINT))
    ds = key.dataset_id
    dataset_id = datacatalog_pb2.DatasetID(project=ds.project, domain=ds.domain, name=ds.name, version=ds.version)
    got = stub.GetDataset(datacatalog_pb2.GetDatasetRequest(dataset=dataset_id)).dataset
    expect(got.id.UUID != "" and got.metadata.key_map["task-version"] == VERSION, got)
    artifact = stub.GetArtifact(datacatalog_pb2.GetArtifactRequest(
        dataset=dataset_id, tag_name=key.artifact_tag.name)).artifact
    expect(artifact.id == key.artifact_tag.artifact_id, artifact.id)
    expect([d.name for d in artifact.data] == ["o0"] and artifact.data[0].value.scalar.primitive.integer
           == runs["overwrite"].outputs["o0"], artifact.data)
    expect(artifact.metadata.key_map["execution-name"] == runs["overwrite"].id.name, artifact.metadata)
    try:
        stub.GetArtifact(datacatalog_pb2.GetArtifactRequest(dataset=dataset_id, tag_name="flyte_cached-nope"))
    except grpc.RpcError as e:
        expect(e.code() == grpc.StatusCode.NOT_FOUND, e)
    else:
        raise AssertionError("an unknown tag was found")
    listed = stub.ListDatasets(datacatalog_pb2.ListDatasetsRequest(filter=datacatalog_pb2.FilterExpression(filters=[
        datacatalog_pb2.SinglePropertyFilter(dataset_filter=datacatalog_pb2.DatasetPropertyFilter(name=ds.name))])))
    expect([d.id.version for d in listed.datasets] == [ds.version], listed)
    return f"artifact {artifact.id}"


check("pyflyte package with a cached task registers", register)
check("first run: CACHE_POPULATED with the dataset and tag propeller names", first_run_populates)
check("second run: CACHE_HIT from the first run, same outputs, no task execution", second_run_hits)
check("overwrite_cache=True: runs again, CACHE_POPULATED from itself", overwrite_repopulates)
check("the task launched alone: populated, then hit", task_alone_hits_the_second_time)
check("flyteidl's DataCatalog stub reads the artifact on the gRPC port", datacatalog_stub_reads_the_artifact)
finish()

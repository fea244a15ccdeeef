"""flyte-rs's `register` example with packages made by real pyflyte, against the standalone test kit.

Usage: register_pyflyte.py GRPC_PORT WORKDIR REGISTER_EXAMPLE
Writes workflows that use what pyflyte packages hold in practice (map tasks, dynamic workflows,
conditionals, sub-workflows, launch plan references, raw container tasks, schedules,
notifications, caching, retries, resources), packages them with `pyflyte package` plainly and
for fast registration, registers both with the example, and checks with FlyteRemote that every
entity is there at the right version, that fast-registered tasks point at the uploaded bundle,
and that registering again finds everything registered.
Prints one line per check and 'N passed, M failed'; exits 1 on any failure.
"""

import json
import pathlib
import subprocess
import sys
import tarfile
import textwrap

from flytekit.configuration import Config, PlatformConfig
from flytekit.remote import FlyteRemote

from checks import check, expect, finish

PORT, WORK, EXAMPLE = int(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
PROJECT, DOMAIN = "flytesnacks", "staging"
SRC = WORK / "src"
(SRC / "suite").mkdir(parents=True, exist_ok=True)
(SRC / "suite" / "__init__.py").write_text("")
(SRC / "suite" / "flows.py").write_text(textwrap.dedent('''
    import typing
    from datetime import timedelta
    from flytekit import (task, workflow, dynamic, LaunchPlan, map_task, conditional, ContainerTask,
                          kwtypes, Resources, CronSchedule, Email, WorkflowExecutionPhase)

    @task(retries=2, timeout=timedelta(minutes=5), requests=Resources(cpu="1", mem="500Mi"))
    def double(x: int) -> int:
        return 2 * x

    @task(cache=True, cache_version="1")
    def add_all(xs: typing.List[int]) -> int:
        return sum(xs)

    @task(interruptible=True)
    def shout(name: str) -> str:
        return name.upper()

    say = ContainerTask(
        name="suite.say",
        image="alpine:3.20",
        inputs=kwtypes(name=str),
        outputs=kwtypes(out=str),
        command=["sh", "-c", "echo {{.inputs.name}} > /var/outputs/out"],
    )

    @dynamic
    def fan_out(n: int) -> typing.List[int]:
        return [double(x=i) for i in range(n)]

    @workflow
    def inner(x: int) -> int:
        return double(x=x)

    @workflow
    def mapped(xs: typing.List[int]) -> int:
        return add_all(xs=map_task(double)(x=xs))

    inner_lp = LaunchPlan.get_or_create(inner, name="suite.inner_lp")

    @workflow
    def outer(x: int, name: str = "flyte") -> int:
        y = inner(x=x)
        z = inner_lp(x=y)
        shout(name=name)
        say(name=name)
        fan_out(n=x)
        return conditional("sign").if_(z >= 0).then(double(x=z)).else_().then(double(x=0))

    nightly = LaunchPlan.get_or_create(
        mapped, name="suite.nightly", default_inputs={"xs": [1, 2, 3]},
        schedule=CronSchedule(schedule="0 3 * * *"),
        notifications=[Email(phases=[WorkflowExecutionPhase.FAILED], recipients_email=["ops@example.com"])],
    )
'''))


def package(name, *extra):
    out = WORK / name
    subprocess.run(
        [sys.executable, "-m", "flytekit.clis.sdk_in_container.pyflyte", "--pkgs", "suite", "package",
         "--image", "ghcr.io/flyteorg/flytekit:py3.11-1.16.31", "-f", "-o", str(out), *extra],
        cwd=SRC, check=True, capture_output=True,
    )
    with tarfile.open(out) as t:
        pbs = [m.name for m in t.getmembers() if m.name.endswith(".pb")]
    return out, pbs


def register(archive, version, *extra):
    p = subprocess.run(
        [EXAMPLE, "--endpoint", f"127.0.0.1:{PORT}", "--insecure", str(archive), "-p", PROJECT,
         "-d", DOMAIN, "--version", version, "--json", *extra],
        capture_output=True, text=True, env={"HOME": str(WORK)},
    )
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


remote = FlyteRemote(Config(platform=PlatformConfig(endpoint=f"127.0.0.1:{PORT}", insecure=True)),
                     default_project=PROJECT, default_domain=DOMAIN)
PLAIN, PLAIN_PBS = package("suite.tgz")
FAST, FAST_PBS = package("suite-fast.tgz", "--copy", "auto")


def fetch(kind, name, version):
    return {"task": remote.fetch_task, "workflow": remote.fetch_workflow,
            "launch plan": remote.fetch_launch_plan}[kind](name=name, version=version)


def plain_package_registers_whole():
    report = register(PLAIN, "rs-v1", "--activate-launch-plans")
    expect(report["counts"]["registered"] == len(PLAIN_PBS), report["counts"])
    for row in report["entities"]:
        name, version = row["id"].split(":")[2], row["id"].split(":")[3]
        expect(version == "rs-v1", row)
        fetch(row["kind"], name, version)
    lp = remote.client.get_launch_plan(remote.fetch_launch_plan(name="suite.nightly", version="rs-v1").id)
    expect(lp.closure.state == 1, f"the scheduled plan is active: {lp.closure.state}")
    return f"{len(PLAIN_PBS)} entities, each fetched by FlyteRemote"


def registering_again_finds_everything():
    report = register(PLAIN, "rs-v1")
    expect(report["counts"]["already_registered"] == len(PLAIN_PBS), report["counts"])


def fast_package_points_at_its_bundle():
    report = register(FAST, "rs-fast-v1", "--concurrency", "1")
    uri = report["fast_bundle_uri"]
    expect(uri and uri.startswith("s3://"), report)
    task = remote.fetch_task(name="suite.flows.double", version="rs-fast-v1")
    args = list(task.template.container.args)
    expect(uri in args, args)
    expect(not any("{{ ." in a for a in args), args)
    return uri


check("a pyflyte package with every node kind registers; FlyteRemote fetches each entity",
      plain_package_registers_whole)
check("registering it again: everything already registered", registering_again_finds_everything)
check("a fast package: bundle uploaded, tasks point at it", fast_package_points_at_its_bundle)
finish()

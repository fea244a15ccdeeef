"""Workflows of every node kind, for node-execution trees: map (array) nodes, dynamic nodes,
subworkflows, launch plan nodes and branches."""

import typing

from flytekit import LaunchPlan, conditional, dynamic, map_task, task, workflow


@task
def sq(x: int) -> int:
    return x * x


@task
def total(xs: typing.List[int]) -> int:
    return sum(xs)


@workflow
def map_wf(xs: typing.List[int]) -> int:
    return total(xs=map_task(sq)(x=xs))


@dynamic
def fan(n: int) -> typing.List[int]:
    return [sq(x=i) for i in range(n)]


@workflow
def dynamic_wf(n: int) -> int:
    return total(xs=fan(n=n))


@workflow
def inner(x: int) -> int:
    return sq(x=x)


@workflow
def sub_wf(x: int) -> int:
    a = inner(x=x)
    return inner(x=a)


inner_lp = LaunchPlan.get_or_create(inner, name="inner_lp")


@workflow
def lp_wf(x: int) -> int:
    return inner_lp(x=x)


@workflow
def branch_wf(x: int) -> int:
    return conditional("sign").if_(x >= 0).then(sq(x=x)).else_().then(inner(x=0))

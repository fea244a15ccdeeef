"""Workflows whose inputs and outputs are the types modern flytekit sends: dataclasses (nested,
with defaults and lists), dicts, lists of dataclasses, Optional, Enum, datetime and timedelta,
and files."""

import datetime
import enum
import typing
from dataclasses import dataclass, field

from flytekit import LaunchPlan, task, workflow
from flytekit.types.file import FlyteFile


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclass
class Point:
    x: int = 0
    y: float = 0.0


@dataclass
class Shape:
    name: str
    corners: typing.List[Point] = field(default_factory=list)
    origin: Point = field(default_factory=Point)
    tags: typing.Dict[str, str] = field(default_factory=dict)
    note: typing.Optional[str] = None


@task
def grow(s: Shape, by: int) -> Shape:
    return Shape(name=s.name, corners=s.corners + [Point(x=by)], origin=s.origin, tags=s.tags)


@workflow
def shape_wf(s: Shape, by: int = 1) -> Shape:
    return grow(s=s, by=by)


@task
def count_points(ps: typing.List[Point]) -> Point:
    return Point(x=len(ps))


@workflow
def points_wf(ps: typing.List[Point]) -> Point:
    return count_points(ps=ps)


@task
def merge_dicts(d: dict, more: typing.Dict[str, int]) -> dict:
    return {**d, **more}


@workflow
def dict_wf(d: dict, more: typing.Dict[str, int]) -> dict:
    return merge_dicts(d=d, more=more)


@task
def when(c: Color, at: datetime.datetime, every: datetime.timedelta, maybe: typing.Optional[int] = None) -> typing.Tuple[Color, datetime.datetime, datetime.timedelta, typing.Optional[int]]:
    return c, at + every, every, maybe


@workflow
def scalars_wf(c: Color, at: datetime.datetime, every: datetime.timedelta, maybe: typing.Optional[int] = None) -> typing.Tuple[Color, datetime.datetime, datetime.timedelta, typing.Optional[int]]:
    return when(c=c, at=at, every=every, maybe=maybe)


@task
def read_file(f: FlyteFile) -> FlyteFile:
    return f


@workflow
def file_wf(f: FlyteFile) -> FlyteFile:
    return read_file(f=f)


shape_defaults = LaunchPlan.get_or_create(
    shape_wf,
    name="shape_defaults",
    default_inputs={"s": Shape(name="square", corners=[Point(1, 1.5), Point(2, 2.5)], tags={"k": "v"})},
)

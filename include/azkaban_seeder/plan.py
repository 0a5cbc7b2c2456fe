"""Split an `EnvSpec` into projects and shards.

A project holds ``flows_per_project`` consecutive flows (the last one may hold fewer); a shard
holds ``spec.shard_size`` consecutive projects and is the unit one Airflow mapped task
instance works on. Plans are small JSON-able records (names and counts, never flow bodies), so
they travel through XCom and into worker processes cheaply. Everything is a pure function of the
spec: the same spec gives the same names on every run, which is what makes a rebuild idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from azkaban_seeder.spec import EnvSpec


def project_name(prefix: str, i: int) -> str:
    """Name of project ``i``: ``{prefix}_{i:05d}`` (6 digits from project 100000 on)."""
    return f"{prefix}_{i:05d}"


@dataclass(frozen=True)
class ProjectPlan:
    """One Azkaban project: its name and the global indexes of its flows."""

    name: str
    first_flow: int
    flow_count: int

    @property
    def flow_indexes(self) -> range:
        return range(self.first_flow, self.first_flow + self.flow_count)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "first_flow": self.first_flow, "flow_count": self.flow_count}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProjectPlan:
        name, first, count = data["name"], data["first_flow"], data["flow_count"]
        if not isinstance(name, str) or type(first) is not int or type(count) is not int:
            raise ValueError(f"not a project plan: {dict(data)!r}")
        if first < 0 or count < 1:
            raise ValueError(f"project plan with bad counts: {dict(data)!r}")
        return cls(name, first, count)


@dataclass(frozen=True)
class Shard:
    """A batch of consecutive projects: the unit of one mapped task instance."""

    index: int
    projects: tuple[ProjectPlan, ...]

    @property
    def label(self) -> str:
        """``first..last`` project names, e.g. ``stress_00000..stress_00009``."""
        if not self.projects:
            return f"shard {self.index} (empty)"
        first, last = self.projects[0].name, self.projects[-1].name
        return first if first == last else f"{first}..{last}"

    @property
    def flow_count(self) -> int:
        return sum(p.flow_count for p in self.projects)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "projects": [p.to_dict() for p in self.projects]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Shard:
        index = data["index"]
        if type(index) is not int or index < 0:
            raise ValueError(f"not a shard index: {index!r}")
        return cls(index, tuple(ProjectPlan.from_dict(p) for p in data["projects"]))

    def to_ref(self) -> dict[str, Any]:
        """The shard as a range (what crosses Airflow's XCom): a few fields whatever its
        size; `from_ref` rebuilds the projects from the spec."""
        first = self.projects[0] if self.projects else None
        return {
            "index": self.index,
            "first_project": _project_number(first.name) if first else 0,
            "project_count": len(self.projects),
            "label": self.label,
            "first_name": first.name if first else None,
        }

    @classmethod
    def from_ref(cls, data: Mapping[str, Any], spec: EnvSpec) -> Shard:
        """The shard a `to_ref` range names in ``spec``; refuses a range outside the plan."""
        index, first, count = data["index"], data["first_project"], data["project_count"]
        if any(type(v) is not int or v < 0 for v in (index, first, count)):
            raise ValueError(f"not a shard range: {dict(data)!r}")
        if first + count > spec.project_count:
            raise ValueError(
                f"shard range {first}..{first + count - 1} is outside the plan's "
                f"{spec.project_count} projects (were the params changed since plan ran?)"
            )
        return cls(index, tuple(project_plan(spec, i) for i in range(first, first + count)))


def _project_number(name: str) -> int:
    return int(name.rpartition("_")[2])


def project_plan(spec: EnvSpec, i: int) -> ProjectPlan:
    """Project ``i`` of ``spec``."""
    first = i * spec.flows_per_project
    count = min(spec.flows_per_project, spec.flow_count - first)
    return ProjectPlan(project_name(spec.prefix, i), first, count)


def iter_projects(spec: EnvSpec) -> Iterator[ProjectPlan]:
    """Projects of ``spec`` in order, without building a list."""
    for i in range(spec.project_count):
        yield project_plan(spec, i)


def plan_projects(spec: EnvSpec) -> list[ProjectPlan]:
    """All projects: ``ceil(flow_count / flows_per_project)``, the last possibly smaller."""
    return list(iter_projects(spec))


def plan_shards(spec: EnvSpec) -> list[Shard]:
    """All shards; their count is ``spec.shard_count`` (<= ``max_map_length`` by validation)."""
    projects = plan_projects(spec)
    per = spec.shard_size
    return [
        Shard(n, tuple(projects[start : start + per]))
        for n, start in enumerate(range(0, len(projects), per))
    ]

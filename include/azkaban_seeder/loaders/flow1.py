"""Flow 1.0 loading: `.properties` + `.job` files (Azkaban `DirectoryFlowLoader`).

Used for `POST /manager` (ajax=upload) when the zip has no valid `*.project` file. Every job
that no other job depends on (or with `root.node=true`) becomes a flow named after it; the
flow holds the root plus its transitive dependencies.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from azkaban_seeder.loaders.archive import ProjectDir
from azkaban_seeder.loaders.conditions import java_split, validate_condition
from azkaban_seeder.loaders.memory import memory_errors
from azkaban_seeder.loaders.model import InstallError, LoadedFlow, LoadedNode, LoadResult
from azkaban_seeder.loaders.properties import PropertiesError, parse_properties

logger = logging.getLogger(__name__)

ROOT_NAME = "ROOT"
EMBEDDED_FLOW_TYPE = "flow"
_DEPENDENCY_SEPARATOR = re.compile(r"\s*,\s*")


def _parse(data: bytes) -> dict[str, str]:
    """Parse a .job/.properties file.

    Java's parser throws IllegalArgumentException for a malformed \\uXXXX escape; the loader
    only catches IOException ("Error loading job file ..."), so the whole install fails.
    """
    try:
        return parse_properties(data)
    except PropertiesError as exc:
        raise InstallError(str(exc)) from exc


@dataclass
class _Job:
    name: str
    props: dict[str, str]
    type: str | None
    condition: str | None
    forced_root: bool
    # dependency name -> True when the edge is valid (the dependency exists and is not itself)
    deps: dict[str, bool] = field(default_factory=dict)


class Flow1Loader:
    """State of one Flow 1.0 load; call `load(tree)` once."""

    def __init__(self) -> None:
        self.errors: set[str] = set()
        self.jobs: dict[str, _Job] = {}
        self.duplicates: set[str] = set()
        self.job_files = 0
        # Conditioned jobs loaded in the current directory, jobs dropped as duplicates in it,
        # and which conditioned jobs reference each job name.
        self._new_conditioned: list[str] = []
        self._dropped: list[str] = []
        self._referenced_by: dict[str, set[str]] = {}
        self._flow_deps: dict[str, set[str | None]] = {}
        self._clean_flows: set[str] = set()

    def load(self, tree: ProjectDir) -> LoadResult:
        """Load every flow of the tree and collect the "Directory Flow" report errors."""
        self._load_dir(tree, {})
        self._resolve_dependencies()
        flows = self._build_flows()
        for flow_id in sorted(self._flow_deps):
            self._resolve_embedded(flow_id, set(), flows)
        for name in sorted(self.jobs):
            self.errors.update(memory_errors(name, self.jobs[name].props))
        return LoadResult(
            flow_format="1.0",
            flows=flows,
            errors=sorted(self.errors),
            job_files=self.job_files,
        )

    def _load_dir(self, directory: ProjectDir, parent: dict[str, str]) -> None:
        for _name, data in directory.matching_files(".properties"):
            parent = {**parent, **_parse(data)}
        for file_name, data in directory.matching_files(".job"):
            self.job_files += 1
            self._add_job(file_name, data, parent)
        self._validate_conditions()
        for sub in directory.sorted_dirs():
            self._load_dir(sub, parent)

    def _add_job(self, file_name: str, data: bytes, parent: dict[str, str]) -> None:
        name = file_name[: file_name.rindex(".")]
        if name in self.duplicates:
            return
        if name in self.jobs:
            # Both copies are dropped, and any later one is ignored.
            self.errors.add(f"Duplicate job names found '{name}'.")
            self.duplicates.add(name)
            del self.jobs[name]
            self._dropped.append(name)
            return
        props = {**parent, **_parse(data)}
        job_type = props.get("type")
        if job_type is None:
            self.errors.add(f"Job doesn't have type set '{name}'.")
        condition = props.get("condition") or None
        if condition is not None:
            self._new_conditioned.append(name)
        forced = "root.node" in props and props["root.node"].strip().lower() == "true"
        self.jobs[name] = _Job(name, props, job_type, condition, forced)

    def _validate_conditions(self) -> None:
        """Validate conditions as the server does after each directory.

        The server re-validates every condition seen so far against the jobs loaded so far, so a
        reference to a job of a later directory is an error. Existence is all that can change
        between passes, and jobs only vanish when dropped as duplicates, so re-checking new
        conditions plus those referencing a dropped job gives the same error set in linear time.
        """
        names = set(self._new_conditioned)
        for dropped in self._dropped:
            names |= self._referenced_by.get(dropped, set())
        self._new_conditioned.clear()
        self._dropped.clear()
        for name in sorted(names):
            job = self.jobs.get(name)
            if job is not None and job.condition is not None:
                self.errors.update(
                    validate_condition(
                        name, job.condition, flavor="1.0", node_exists=self._exists_for(name)
                    )
                )

    def _exists_for(self, name: str) -> Callable[[str], bool]:
        def exists(job: str) -> bool:
            self._referenced_by.setdefault(job, set()).add(name)
            return job in self.jobs

        return exists

    def _resolve_dependencies(self) -> None:
        for name in sorted(self.jobs):
            job = self.jobs[name]
            if name == ROOT_NAME:
                self.errors.add(f"{name} is not allowed as a name. Pick some other name.")
            raw = job.props.get("dependencies")
            if raw is None:
                continue
            for item in java_split(raw, _DEPENDENCY_SEPARATOR):
                dep = item.strip()
                if dep:
                    job.deps[dep] = self._check_edge(name, dep)

    def _check_edge(self, name: str, dep: str) -> bool:
        if dep not in self.jobs:
            if dep in self.duplicates:
                self.errors.add(f"{name} has ambiguous dependency {dep}")
            else:
                self.errors.add(f"{name} cannot find dependency {dep}")
            return False
        if dep == name:
            self.errors.add(f"{name} has a self cycle")
            return False
        return True

    def _build_flows(self) -> dict[str, LoadedFlow]:
        non_roots = {dep for job in self.jobs.values() for dep in job.deps}
        nodes = {name: self._node(job) for name, job in self.jobs.items()}
        flows: dict[str, LoadedFlow] = {}
        for name in sorted(self.jobs):
            job = self.jobs[name]
            if job.forced_root or name not in non_roots:
                members = self._walk_flow(name)
                flows[name] = LoadedFlow(
                    flow_id=name,
                    embedded=False,
                    nodes={member: nodes[member] for member in sorted(members)},
                    props=job.props,
                )
        return flows

    @staticmethod
    def _node(job: _Job) -> LoadedNode:
        embedded = None
        if job.type == EMBEDDED_FLOW_TYPE:
            embedded = job.props.get("flow.name")
        return LoadedNode(
            id=job.name,
            type=job.type,
            in_=sorted(dep for dep, valid in job.deps.items() if valid),
            condition=job.condition,
            embedded_flow_id=embedded,
            props=job.props,
        )

    def _visit(self, flow_id: str, name: str) -> None:
        job = self.jobs[name]
        if job.type == EMBEDDED_FLOW_TYPE:
            self._flow_deps.setdefault(flow_id, set()).add(job.props.get("flow.name"))

    def _walk_flow(self, root: str) -> set[str]:
        """Depth-first walk from a root, reporting back edges like `constructFlow` does.

        Iterative so that long dependency chains do not hit Python's recursion limit.
        """
        on_path = {root}
        seen = {root}
        self._visit(root, root)
        stack = [(root, iter(self.jobs[root].deps.items()))]
        while stack:
            name, edges = stack[-1]
            for dep, valid in edges:
                if not valid or (dep in seen and dep not in on_path):
                    continue
                if dep in on_path:
                    self.errors.add(f"Cyclical dependency found at {dep}>>{name}")
                    continue
                on_path.add(dep)
                seen.add(dep)
                self._visit(root, dep)
                stack.append((dep, iter(self.jobs[dep].deps.items())))
                break
            else:
                stack.pop()
                on_path.discard(name)
        return seen

    def _resolve_embedded(
        self, flow_id: str, visited: set[str], flows: dict[str, LoadedFlow]
    ) -> bool:
        """Check embedded-flow references (`resolveEmbeddedFlow`); True when error-free.

        Error-free flows are remembered so shared sub-flows are walked once.
        """
        embedded = self._flow_deps.get(flow_id)
        if embedded is None or flow_id in self._clean_flows:
            return True
        visited.add(flow_id)
        clean = True
        for target in sorted(embedded, key=lambda value: "" if value is None else value):
            if target in visited:
                self.errors.add(f"Embedded flow cycle found in {flow_id}->{target}")
                return False
            if target is None or target not in flows:
                shown = "null" if target is None else target
                self.errors.add(f"Flow {flow_id} depends on {shown} but can't be found.")
                return False
            clean = self._resolve_embedded(target, visited, flows) and clean
        visited.discard(flow_id)
        if clean:
            self._clean_flows.add(flow_id)
        return clean


def load_flow1(tree: ProjectDir) -> LoadResult:
    """Load a Flow 1.0 project tree (the server's `DirectoryFlowLoader.loadProjectFlow`)."""
    return Flow1Loader().load(tree)

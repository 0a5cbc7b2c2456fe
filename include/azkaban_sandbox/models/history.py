"""Execution history loaded by tests (test control ``POST /_sandbox/executions/load``).

A profiler reads weeks of past executions (``fetchFlowExecutions``, ``fetchexecflow``); a test
cannot wait for them to happen, so it loads them: each item names an existing project and
top-level flow, a status of Azkaban's `Status` enum, submit/start/end epoch milliseconds
(-1 = unset) and optionally its jobs by nested id (``job`` or ``embedded:job``) with their own
status, times and attempt. Everything is checked before anything is stored (one bad item
refuses the whole load with a `ValueError` naming the item and field); the runs are stored in
one transaction with a fixed status, so the sandbox clock never moves them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from azkaban_sandbox.models.flows import MAX_DEPTH, FlowsModel
from azkaban_sandbox.models.options import ExecOptions
from azkaban_sandbox.models.projects import ProjectsModel
from azkaban_sandbox.store.records import ExecutionJobRow, ExecutionRecord, ProjectRecord

#: Azkaban's `azkaban.executor.Status` values (reference 4.11).
STATUSES = (
    "READY",
    "DISPATCHING",
    "PREPARING",
    "RUNNING",
    "PAUSED",
    "SUCCEEDED",
    "KILLING",
    "KILLED",
    "EXECUTION_STOPPED",
    "FAILED",
    "FAILED_FINISHING",
    "SKIPPED",
    "DISABLED",
    "QUEUED",
    "FAILED_SUCCEEDED",
    "CANCELLED",
)
MAX_RUNS_PER_LOAD = 200_000
RUN_KEYS = frozenset({"project", "flow", "status", "submit", "start", "end", "user", "jobs"})
JOB_KEYS = frozenset({"id", "status", "start", "end", "attempt"})


def _int(value: Any, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{where} must be an integer >= {low}, got {value!r}")
    return value


def _times(item: Mapping[str, Any], where: str, submit: int) -> tuple[int, int]:
    """(start, end) in ms, -1 when unset: start >= submit, end >= start when both are set."""
    start = _int(item.get("start", -1), f"{where}.start", -1)
    end = _int(item.get("end", -1), f"{where}.end", -1)
    if start != -1 and start < submit:
        raise ValueError(f"{where}.start {start} is before {submit}")
    if end != -1 and end < max(start, submit):
        raise ValueError(f"{where}.end {end} is before the start")
    return start, end


def _status(item: Mapping[str, Any], where: str) -> str:
    status = item.get("status")
    if status not in STATUSES:
        raise ValueError(
            f"{where}.status {status!r} is not an Azkaban status; use one of {STATUSES}"
        )
    return str(status)


def _object(item: Any, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be a JSON object")
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; use {sorted(allowed)}")
    return item


@dataclass
class _Lookup:
    """Projects, top-level flows and job paths met during one load (read once each)."""

    projects: ProjectsModel
    flows: FlowsModel
    _by_name: dict[str, ProjectRecord | None] = field(default_factory=dict)
    _top: dict[int, set[str]] = field(default_factory=dict)
    _paths: dict[tuple[int, str], frozenset[str]] = field(default_factory=dict)

    def project(self, name: Any, where: str) -> ProjectRecord:
        project = None
        if isinstance(name, str):
            if name not in self._by_name:
                self._by_name[name] = self.projects.get(name)
            project = self._by_name[name]
        if project is None:
            raise ValueError(f"{where}.project {name!r} is not an active project")
        return project

    def flow(self, project: ProjectRecord, flow: Any, where: str) -> frozenset[str]:
        """The job paths of a top-level flow (embedded flow nodes and their jobs included)."""
        if project.id not in self._top:
            self._top[project.id] = set(self.flows.ids(project))
        top = self._top[project.id]
        if not isinstance(flow, str) or flow not in top:
            raise ValueError(f"{where}.flow {flow!r} is not a top-level flow of {project.name}")
        key = (project.id, flow)
        if key not in self._paths:
            self._paths[key] = frozenset(self._walk(project, flow, ""))
        return self._paths[key]

    def _walk(
        self, project: ProjectRecord, flow: str, prefix: str, depth: int = 0
    ) -> Iterator[str]:
        graph = self.flows.graph(project, flow)
        if graph is None or depth > MAX_DEPTH:
            return
        for node in graph.nodes:
            yield prefix + node.id
            if node.embedded:
                yield from self._walk(project, node.embedded, f"{prefix}{node.id}:", depth + 1)


def _jobs(items: Any, where: str, paths: frozenset[str], submit: int) -> list[ExecutionJobRow]:
    if not isinstance(items, list):
        raise ValueError(f"{where}.jobs must be a list")
    rows: dict[str, ExecutionJobRow] = {}
    for i, raw in enumerate(items):
        at = f"{where}.jobs[{i}]"
        job = _object(raw, at, JOB_KEYS)
        nested_id = job.get("id")
        if nested_id not in paths:
            raise ValueError(f"{at}.id {nested_id!r} is not a node of the flow")
        if nested_id in rows:
            raise ValueError(f"{at}.id {nested_id!r} is listed twice")
        start, end = _times(job, at, submit)
        attempt = _int(job.get("attempt", 0), f"{at}.attempt", 0)
        rows[str(nested_id)] = ExecutionJobRow(
            -1, str(nested_id), _status(job, at), start, end, attempt
        )
    return list(rows.values())


_NO_OPTIONS = ExecOptions().dumps()


def _run(raw: Any, where: str, lookup: _Lookup) -> tuple[ExecutionRecord, list[ExecutionJobRow]]:
    item = _object(raw, where, RUN_KEYS)
    project = lookup.project(item.get("project"), where)
    paths = lookup.flow(project, item.get("flow"), where)
    status = _status(item, where)
    submit = _int(item.get("submit"), f"{where}.submit", 0)
    start, end = _times(item, where, submit)
    user = item.get("user", "azkaban")
    if not isinstance(user, str) or not user:
        raise ValueError(f"{where}.user must be a non-empty string")
    jobs = _jobs(item.get("jobs", []), where, paths, submit)
    record = ExecutionRecord(
        -1,
        project.id,
        project.name,
        str(item["flow"]),
        project.version,
        user,
        submit,
        start - submit,  # the timeline's start is submit_time + step_ms: the loaded start
        status == "FAILED",
        status,
        end,
        _NO_OPTIONS,
    )
    return record, jobs


def parse_runs(
    items: Any, projects: ProjectsModel, flows: FlowsModel
) -> list[tuple[ExecutionRecord, list[ExecutionJobRow]]]:
    """Check a load request's ``executions`` list; records and job rows to store."""
    if not isinstance(items, list) or not items:
        raise ValueError("executions must be a non-empty list")
    if len(items) > MAX_RUNS_PER_LOAD:
        raise ValueError(f"at most {MAX_RUNS_PER_LOAD} executions per load; split the list")
    lookup = _Lookup(projects, flows)
    return [_run(raw, f"executions[{i}]", lookup) for i, raw in enumerate(items)]


def load_summary(ids: Sequence[int]) -> dict[str, Any]:
    """The control reply: how many runs were stored and their exec ids (first, last)."""
    return {"loaded": len(ids), "first_exec_id": ids[0], "last_exec_id": ids[-1]}

"""Executions on the sandbox clock (reference 4.10-4.12): submit rules, timeline, cancel.

Timeline: READY for one step (`execution_step_seconds`), RUNNING for one more, then SUCCEEDED,
or FAILED when any job of the flow (embedded flows included) has `sandbox.fail=true` or a
`command` containing `exit 1`. Submissions run under one lock, like the per-flow submit lock
of the real server. History loaded by tests (`models.history`) has a fixed status and its own
start/end times, per job too.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.clock import SandboxClock, format_local
from azkaban_sandbox.models.flows import MAX_DEPTH, FlowsModel, GraphNode
from azkaban_sandbox.models.history import parse_runs
from azkaban_sandbox.models.options import ExecOptions
from azkaban_sandbox.models.projects import ProjectsModel
from azkaban_sandbox.store.executions import ExecutionTable
from azkaban_sandbox.store.records import ExecutionJobRow, ExecutionRecord, ProjectRecord

MAX_CONCURRENT_RUNS = 30  # azkaban.max.concurrent.runs.oneflow
RUNNING_STATUSES = ("READY", "PREPARING", "RUNNING")


@dataclass(frozen=True)
class Timeline:
    """Status with start and end time (ms; -1 when unset)."""

    status: str
    start: int
    end: int


@dataclass(frozen=True)
class Submission:
    """An accepted executeFlow: the new exec id and the reply message (prefixes included)."""

    exec_id: int
    message: str


@dataclass(frozen=True)
class ExecNode:
    """A node of a running flow; `children` are an embedded flow's nodes. `nested_id` is
    its path (``inner:x`` inside embedded node ``inner``); `start`/`end` None = the flow's."""

    node: GraphNode
    status: str
    children: tuple[ExecNode, ...] = ()
    nested_id: str = ""
    start: int | None = None
    end: int | None = None
    attempt: int = 0


@dataclass(frozen=True)
class ExecutionView:
    """`fetchexecflow`: the record, its timeline, the time of the view and the node tree."""

    record: ExecutionRecord
    timeline: Timeline
    now_ms: int
    nodes: tuple[ExecNode, ...]


@dataclass(frozen=True)
class ExecutionPage:
    """One page of a flow's executions (newest first) and the total count."""

    total: int
    items: tuple[tuple[ExecutionRecord, Timeline], ...]


def node_fails(node: GraphNode) -> bool:
    """The sandbox's failure rule: `sandbox.fail=true` or a `command` containing `exit 1`."""
    if str(node.props.get("sandbox.fail", "")).strip().lower() == "true":
        return True
    return "exit 1" in str(node.props.get("command", ""))


class ExecutionsModel:
    """Execution state and rules; thread-safe."""

    def __init__(
        self,
        projects: ProjectsModel,
        flows: FlowsModel,
        table: ExecutionTable,
        clock: SandboxClock,
        step_seconds: float,
    ) -> None:
        self.projects = projects
        self.flows = flows
        self.table = table
        self.clock = clock
        self.step_seconds = step_seconds
        self._submit_lock = threading.Lock()

    def timeline(self, rec: ExecutionRecord) -> Timeline:
        """The status on the sandbox clock: READY -> RUNNING -> final (or a stored final)."""
        start = rec.submit_time + rec.step_ms
        if rec.final_status is not None:
            # cancelled before it started: end < start; loaded history: start kept as loaded
            started = rec.end_time < 0 or rec.end_time >= start
            return Timeline(rec.final_status, start if started else -1, rec.end_time)
        elapsed = self.clock.now_ms() - rec.submit_time
        if elapsed < rec.step_ms:
            return Timeline("READY", -1, -1)
        if elapsed < 2 * rec.step_ms:
            return Timeline("RUNNING", start, -1)
        return Timeline("FAILED" if rec.will_fail else "SUCCEEDED", start, start + rec.step_ms)

    def running_ids(self, project_id: int, flow_id: str) -> list[int]:
        """Exec ids of the flow that are still READY/PREPARING/RUNNING."""
        return [
            rec.exec_id
            for rec in self.table.for_flow(project_id, flow_id)
            if self.timeline(rec).status in RUNNING_STATUSES
        ]

    def execute(
        self,
        user: str,
        project_name: str,
        flow_id: str,
        options: ExecOptions | None,
        option_error: str | None = None,
    ) -> Submission:
        """`ajax=executeFlow` (ExecutorServlet.ajaxExecuteFlow): checks, then submission rules."""
        project = self.projects.get(project_name)
        if project is None or not self.projects.has_permission(user, project, "EXECUTE"):
            text = errors.EXEC_NO_PROJECT.format(name=project_name)
            raise errors.SubmitRefused(text, flow_known=False)
        if not self.flows.exists(project, flow_id):
            quirk = format(zlib.crc32(f"{project.id}:{project.name}".encode()), "x")
            raise errors.SubmitRefused(errors.EXEC_NO_FLOW.format(flow=flow_id, hash=quirk))
        if options is None or option_error is not None:
            raise errors.SubmitRefused(errors.EXEC_BAD_OPTIONS.format(msg=option_error))
        with self._submit_lock:
            return self._submit(user, project, flow_id, options)

    def _prefix(self, flow_id: str, running: list[int], options: ExecOptions) -> str:
        if len(running) >= MAX_CONCURRENT_RUNS:
            text = errors.EXEC_TOO_MANY.format(flow=flow_id, limit=MAX_CONCURRENT_RUNS)
            raise errors.SubmitRefused(text, execid=-1)
        if not running:
            return ""
        ids = ",".join(str(i) for i in sorted(running))
        if options.concurrent_option == "skip":
            raise errors.SubmitRefused(errors.EXEC_SKIP.format(flow=flow_id), execid=-1)
        if options.concurrent_option == "pipeline":
            level = options.pipeline_level
            return errors.EXEC_PIPELINE.format(flow=flow_id, ids=ids, level=level)
        return errors.EXEC_CONCURRENT.format(flow=flow_id, ids=ids)

    def _submit(
        self, user: str, project: ProjectRecord, flow_id: str, options: ExecOptions
    ) -> Submission:
        prefix = self._prefix(flow_id, self.running_ids(project.id, flow_id), options)
        will_fail = any(node_fails(n) for n in self.flows.walk(project, flow_id))
        rec = ExecutionRecord(
            -1,
            project.id,
            project.name,
            flow_id,
            project.version,
            user,
            self.clock.now_ms(),
            int(self.step_seconds * 1000),
            will_fail,
            None,
            -1,
            options.dumps(),
        )
        exec_id = self.table.insert(rec)
        return Submission(exec_id, prefix + errors.EXEC_QUEUED.format(execid=exec_id))

    def get(self, exec_id: int) -> ExecutionRecord | None:
        """One execution by id."""
        return self.table.get(exec_id)

    def _project_with(self, user: str, rec: ExecutionRecord, ptype: str) -> ProjectRecord:
        project = self.projects.active_by_id(rec.project_id)
        if project is None:
            raise errors.AccessDenied(errors.PROJECT_NULL)
        if not self.projects.has_permission(user, project, ptype):
            text = errors.EXEC_DENIED.format(user=user, type=ptype, project=project.name)
            raise errors.AccessDenied(text)
        return project

    def check_read(self, user: str, rec: ExecutionRecord) -> None:
        """`getProjectAjaxByPermission(READ)` for execid-based ajax; raises AccessDenied."""
        self._project_with(user, rec, "READ")

    def _nodes(
        self,
        project: ProjectRecord,
        flow_id: str,
        status: str,
        loaded: dict[str, ExecutionJobRow],
        prefix: str = "",
        depth: int = 0,
    ) -> tuple[ExecNode, ...]:
        graph = self.flows.graph(project, flow_id)
        if graph is None or depth > MAX_DEPTH:
            return ()
        out = []
        for node in graph.nodes:
            path = prefix + node.id
            children: tuple[ExecNode, ...] = ()
            if node.embedded:
                children = self._nodes(
                    project, node.embedded, status, loaded, f"{path}:", depth + 1
                )
            out.append(self._exec_node(node, path, status, loaded.get(path), children))
        return tuple(out)

    @staticmethod
    def _exec_node(
        node: GraphNode,
        path: str,
        status: str,
        row: ExecutionJobRow | None,
        children: tuple[ExecNode, ...],
    ) -> ExecNode:
        if row is not None:
            return ExecNode(
                node, row.status, children, path, row.start_time, row.end_time, row.attempt
            )
        node_status = status
        if status == "FAILED":
            node_status = "FAILED" if node_fails(node) else "SUCCEEDED"
        return ExecNode(node, node_status, children, path)

    def view(self, rec: ExecutionRecord) -> ExecutionView:
        """`ajax=fetchexecflow`: the execution with its node tree (loaded job rows win)."""
        timeline = self.timeline(rec)
        project = self.projects.table.by_id(rec.project_id)
        loaded = self.table.jobs(rec.exec_id)
        nodes = self._nodes(project, rec.flow_id, timeline.status, loaded) if project else ()
        return ExecutionView(rec, timeline, self.clock.now_ms(), nodes)

    def load_history(self, items: Any) -> list[int]:
        """Store past executions (test control; `models.history` checks them first)."""
        runs = parse_runs(items, self.projects, self.flows)
        with self._submit_lock:
            return self.table.insert_loaded(runs)

    def running(self, user: str, project_name: str, flow_id: str) -> list[int]:
        """`ajax=getRunning`: running exec ids of the flow; needs EXECUTE."""
        project = self.projects.get(project_name)
        if project is None:
            raise errors.AccessDenied(errors.PROJECT_NULL)
        if not self.projects.has_permission(user, project, "EXECUTE"):
            text = errors.EXEC_DENIED.format(user=user, type="EXECUTE", project=project_name)
            raise errors.AccessDenied(text)
        return self.running_ids(project.id, flow_id)

    def cancel(self, user: str, rec: ExecutionRecord) -> None:
        """`ajax=cancelFlow`: stores KILLED; the AEMA text when it is not running."""
        self._project_with(user, rec, "EXECUTE")
        with self._submit_lock:
            if self.timeline(rec).status not in RUNNING_STATUSES:
                text = errors.EXEC_NOT_RUNNING.format(execid=rec.exec_id, flow=rec.flow_id)
                raise errors.ModelError(text)
            self.table.finish(rec.exec_id, "KILLED", self.clock.now_ms())

    def page(self, project: ProjectRecord, flow_id: str, start: int, length: int) -> ExecutionPage:
        """`ajax=fetchFlowExecutions`: newest first, paged by start/length."""
        records = self.table.for_flow(project.id, flow_id)
        first = max(start, 0)
        chosen = records[first : first + max(length, 0)]
        return ExecutionPage(len(records), tuple((rec, self.timeline(rec)) for rec in chosen))

    def log(self, rec: ExecutionRecord) -> str:
        """A short synthetic flow log following the execution's timeline."""
        t = self.timeline(rec)
        lines = [f"{format_local(rec.submit_time)} Submitting flow {rec.flow_id} (sandbox)"]
        if t.start > 0:
            lines.append(f"{format_local(t.start)} Running flow '{rec.flow_id}'.")
        if t.end > 0:
            lines.append(f"{format_local(t.end)} Flow '{rec.flow_id}' is set to {t.status}")
        return "\n".join(lines) + "\n"

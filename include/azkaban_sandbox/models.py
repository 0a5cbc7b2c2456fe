"""State and semantics of the emulated Azkaban web server (no HTTP here).

`Backend` owns the rules of spec sections 4-6: project names, uploads (via the shared loaders),
flow graphs, schedules and executions. Methods return JSON-able reply payloads or raise the
exceptions of `errors.py`; `responses.py` turns both into HTTP replies.

Locks mirror the real server's: project creation under one global lock (ProjectManager is
`synchronized`), the persist step of an upload under a per-project lock (steps 1-3 of an upload
run in parallel, persists of one project run one after another), submissions under one lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.clock import SandboxClock
from azkaban_sandbox.costs import CostModel
from azkaban_sandbox.store import (
    ExecutionRecord,
    FlowRow,
    ProjectRecord,
    ScheduleRecord,
    Store,
    VersionRow,
)
from azkaban_sandbox.users import UserManager
from azkaban_seeder.loaders import InstallError, LoadedFlow, LoadResult, load_project_zip
from azkaban_seeder.loaders.cron import is_valid_quartz, parse_quartz

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z_0-9|-]*")
ACCEPTED_CONTENT_TYPES = (
    "application/zip",
    "application/x-zip-compressed",
    "application/octet-stream",
)
DEFAULT_END_SCHED_TIME = (
    2_524_608_000_000  # 2050-01-01 UTC, Constants.DEFAULT_SCHEDULE_END_EPOCH_TIME
)
MAX_CONCURRENT_RUNS = 30  # azkaban.max.concurrent.runs.oneflow
VERSION_RETENTION = 3  # project.version.retention
RUNNING_STATUSES = ("READY", "PREPARING", "RUNNING")


@dataclass
class Upload:
    """The zip part of an upload: the loader accepts bytes or a spooled file path."""

    file_name: str
    payload: bytes | Path
    size: int


class UploadRejected(errors.ModelError):
    """An upload answered with an error status; `project` adds projectId/version to the reply."""

    def __init__(self, status: int, message: str, project: ProjectRecord | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.project = project


class DeleteRefused(errors.ModelError):
    """Delete failed; `location` is where the real server redirects."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.location = location


@dataclass
class ExecOptions:
    """Parsed `HttpRequestUtils.parseFlowOptions` values (stored with executions/schedules)."""

    concurrent_option: str = "skip"
    pipeline_level: int | None = None
    queue_level: int = 0
    failure_action: str = "FINISH_CURRENTLY_RUNNING"
    disabled_jobs: list[Any] = field(default_factory=list)
    success_emails: list[str] = field(default_factory=list)
    failure_emails: list[str] = field(default_factory=list)
    success_emails_override: bool = False
    failure_emails_override: bool = False
    notify_failure_first: bool = False
    notify_failure_last: bool = False
    flow_parameters: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ExecutionOptions bean as Jackson writes it (subset of its properties)."""
        return {
            "concurrentOption": self.concurrent_option,
            "pipelineLevel": self.pipeline_level,
            "queueLevel": self.queue_level,
            "failureAction": self.failure_action,
            "disabledJobs": self.disabled_jobs,
            "successEmails": self.success_emails,
            "failureEmails": self.failure_emails,
            "successEmailsOverridden": self.success_emails_override,
            "failureEmailsOverridden": self.failure_emails_override,
            "notifyOnFirstFailure": self.notify_failure_first,
            "notifyOnLastFailure": self.notify_failure_last,
            "flowParameters": self.flow_parameters,
            "mailCreator": "default",
            "memoryCheck": True,
        }


@dataclass
class Stats:
    """Counters for `/_sandbox/stats`."""

    uploads_ok: int = 0
    uploads_failed: int = 0
    flows_uploaded: int = 0
    bytes_uploaded: int = 0


def format_time(ms: int) -> str:
    """Azkaban's `yyyy-MM-dd HH:mm:ss` in the server's time zone."""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def graph_json(flow: LoadedFlow) -> str:
    """Serialise a loaded flow graph for the `flows` table (nodes sorted by id)."""
    nodes = [
        {
            "id": node.id,
            "type": node.type,
            "in": sorted(node.in_),
            "condition": node.condition,
            "embedded": node.embedded_flow_id,
            "props": node.props,
        }
        for _, node in sorted(flow.nodes.items())
    ]
    return json.dumps({"props": flow.props, "nodes": nodes}, separators=(",", ":"))


def node_fails(node: dict[str, Any]) -> bool:
    """The sandbox's failure rule: `sandbox.fail=true` or a `command` containing `exit 1`."""
    props = node.get("props") or {}
    if str(props.get("sandbox.fail", "")).strip().lower() == "true":
        return True
    return "exit 1" in str(props.get("command", ""))


def _levels(nodes: list[dict[str, Any]]) -> dict[str, int]:
    """Node levels as Azkaban's `Flow.setLevelsAndEdgeNodes` assigns them (longest path)."""
    by_id = {n["id"]: n for n in nodes}
    levels: dict[str, int] = {}

    def level(node_id: str, depth: int = 0) -> int:
        if node_id in levels:
            return levels[node_id]
        if depth > len(by_id):  # a cycle would have been a load error; stay finite anyway
            return 0
        parents = [p for p in by_id[node_id]["in"] if p in by_id]
        levels[node_id] = max((level(p, depth + 1) + 1 for p in parents), default=0)
        return levels[node_id]

    for node_id in by_id:
        level(node_id)
    return levels


class Backend:
    """All sandbox semantics; thread-safe."""

    def __init__(
        self,
        store: Store,
        clock: SandboxClock,
        *,
        users: UserManager,
        files_dir: Path,
        costs: CostModel,
        execution_step_seconds: float = 2.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.users = users
        self.files_dir = files_dir
        self.costs = costs
        self.execution_step_seconds = execution_step_seconds
        self.stats = Stats()
        self.rejections: dict[str, str] = {}
        self._create_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._submit_lock = threading.Lock()
        self._locks_guard = threading.Lock()
        self._project_locks: dict[int, threading.Lock] = {}

    # --- projects and permissions ---
    def project(self, name: str | None) -> ProjectRecord | None:
        """The active project with this name (case-insensitive), like InMemoryProjectCache."""
        return self.store.active_project(name) if name else None

    def has_permission(self, user: str, project: ProjectRecord, ptype: str) -> bool:
        """LAS `hasPermission`: the creator has ADMIN; roles grant their types globally."""
        roles = self.users.role_types(user)
        if ptype in roles or "ADMIN" in roles:
            return True
        return user == project.created_by

    def create_project(self, user: str, name: str | None, description: str | None) -> None:
        """`POST /manager action=create`: checks in ProjectManager.createProject order."""
        if not name or not name.strip():
            raise errors.ModelError(errors.NAME_EMPTY)
        if not description or not description.strip():
            raise errors.ModelError(errors.DESCRIPTION_EMPTY)
        if not NAME_RE.fullmatch(name):
            raise errors.ModelError(errors.NAME_INVALID)
        with self._create_lock:
            if self.store.active_project(name) is not None:
                raise errors.ModelError(errors.PROJECT_EXISTS)
            if len(name) > 64 or len(description) > 2048:
                # VARCHAR(64)/VARCHAR(2048) overflow: the DB insert fails.
                raise errors.ModelError(errors.INSERT_FAILED.format(name=name))
            self.store.insert_project(name, description, user, self.clock.now_ms())
        logger.info("project %s created by %s", name, user)

    def delete_project(self, user: str, name: str) -> str:
        """`GET /manager?delete=true&project=P`: removes schedules, then soft-deletes."""
        project = self.project(name)
        if project is None:
            raise DeleteRefused(errors.DELETE_NO_PROJECT.format(name=name), "/")
        if not self.has_permission(user, project, "ADMIN"):
            raise DeleteRefused(
                errors.DELETE_NOT_ADMIN.format(user=user), f"/manager?project={name}"
            )
        with self._project_lock(project.id):
            self.store.deactivate_project(project.id, user, self.clock.now_ms())
        logger.info("project %s deleted by %s", project.name, user)
        return errors.DELETE_OK.format(name=name)

    def project_json(self, project: ProjectRecord) -> dict[str, Any]:
        """Project object of `fetchallprojects` / `fetchuserprojects`."""
        return {
            "projectId": project.id,
            "projectName": project.name,
            "createdBy": project.modified_by,
            "createdTime": project.created_time,
            "userPermissions": [{"first": project.created_by, "second": {"types": ["ADMIN"]}}],
            "groupPermissions": [],
        }

    def all_projects(self) -> list[dict[str, Any]]:
        """`GET /index?ajax=fetchallprojects`: every active project, no permission filter."""
        return [self.project_json(p) for p in self.store.active_projects()]

    def user_projects(self, user: str) -> list[dict[str, Any]]:
        """`fetchuserprojects`: projects where the user has a direct ADMIN/READ permission."""
        return [self.project_json(p) for p in self.store.active_projects() if p.created_by == user]

    # --- uploads ---
    def _project_lock(self, project_id: int) -> threading.Lock:
        with self._locks_guard:
            return self._project_locks.setdefault(project_id, threading.Lock())

    def upload_target(self, user: str, name: str | None) -> ProjectRecord:
        """Upload pre-checks of `validateUploadAndGetProject`, in the servlet's order."""
        if not name:
            raise UploadRejected(400, errors.NO_PROJECT_NAME)
        project = self.project(name)
        if project is None:
            if self.store.inactive_project(name) is not None:
                raise UploadRejected(410, errors.UPLOAD_REMOVED.format(name=name))
            raise UploadRejected(410, errors.UPLOAD_NO_PROJECT.format(name=name))
        if not self.has_permission(user, project, "WRITE"):
            raise UploadRejected(400, errors.UPLOAD_NO_WRITE.format(user=user))
        return project

    @staticmethod
    def check_file(file_name: str, content_type: str | None) -> None:
        """The servlet's extension and part content-type checks (HTTP 400)."""
        ext = file_name[file_name.rfind(".") + 1 :].lower()
        if ext != "zip":
            raise UploadRejected(400, errors.BAD_EXTENSION.format(ext=ext))
        if content_type is None or not content_type.startswith(ACCEPTED_CONTENT_TYPES):
            raise UploadRejected(400, errors.BAD_CONTENT_TYPE.format(ct=content_type))

    def _install_failed(self, project: ProjectRecord, message: str) -> UploadRejected:
        if len(message) > errors.INSTALL_MESSAGE_LIMIT:
            message = message[: errors.INSTALL_MESSAGE_LIMIT] + errors.TOO_MANY_ERRORS
        return UploadRejected(500, errors.INSTALL_FAILED + message, project)

    def _load(self, project: ProjectRecord, upload: Upload) -> LoadResult:
        rejection = self.rejections.get(project.name.lower())
        if rejection is not None:
            raise self._install_failed(project, rejection)
        try:
            result: LoadResult = load_project_zip(upload.payload)
        except InstallError as exc:
            raise self._install_failed(project, exc.message) from exc
        except Exception as exc:  # an unexpected loader crash is an install exception too
            logger.exception("loader failed for project %s", project.name)
            raise self._install_failed(project, str(exc)) from exc
        if result.errors:
            text = errors.VALIDATOR_REPORT + "".join(m + "<br>" for m in result.errors)
            raise UploadRejected(500, text[: errors.REPORT_LIMIT], project)
        return result

    def install(self, user: str, project: ProjectRecord, upload: Upload) -> int:
        """`POST /manager ajax=upload` after the pre-checks: load, then persist as version+1.

        Nothing is stored when loading fails. Returns the new version.
        """
        try:
            result = self._load(project, upload)
        except UploadRejected:
            with self._stats_lock:
                self.stats.uploads_failed += 1
            raise
        flows = [FlowRow(f.flow_id, f.embedded, graph_json(f)) for f in result.flows.values()]
        delay = self.costs.upload_seconds(len(flows), upload.size)
        with self._project_lock(project.id):
            if delay:
                time.sleep(delay)
            version = self.store.max_version(project.id) + 1
            md5 = self._keep_zip(project.id, version, upload)
            row = VersionRow(
                project.id,
                version,
                upload.file_name[:128],
                upload.size,
                md5,
                result.flow_format,
                user,
                self.clock.now_ms(),
            )
            dropped = self.store.save_version(row, flows)
        for flow_id in dropped:
            logger.info("schedule of vanished flow %s.%s removed", project.name, flow_id)
        with self._stats_lock:
            self.stats.uploads_ok += 1
            self.stats.flows_uploaded += len(flows)
            self.stats.bytes_uploaded += upload.size
        logger.info("project %s version %d: %d flows", project.name, version, len(flows))
        return version

    def _keep_zip(self, project_id: int, version: int, upload: Upload) -> str:
        """Write the zip under the data dir (for download); purge versions past retention."""
        folder = self.files_dir / str(project_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{version}.zip"
        digest = hashlib.md5(usedforsecurity=False)
        if isinstance(upload.payload, Path):
            upload.payload.replace(target)
            with target.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        else:
            target.write_bytes(upload.payload)
            digest.update(upload.payload)
        for old in folder.glob("*.zip"):
            if old.stem.isdigit() and int(old.stem) <= version - VERSION_RETENTION:
                old.unlink(missing_ok=True)
        return digest.hexdigest()

    def zip_path(self, project: ProjectRecord, version: int | None) -> Path | None:
        """Stored zip of a version (current by default), if still retained."""
        path = self.files_dir / str(project.id) / f"{version or project.version}.zip"
        return path if path.exists() else None

    # --- flows ---
    def flow_ids(self, project: ProjectRecord) -> list[str]:
        """Top-level flow ids (embedded 2.0 sub-flows hidden), as `fetchprojectflows` lists."""
        return self.store.flow_ids(project.id)

    def _graph(self, project: ProjectRecord, flow_id: str) -> dict[str, Any] | None:
        row = self.store.flow(project.id, flow_id)
        return json.loads(row.graph) if row else None

    def flow_info(self, project: ProjectRecord, flow_id: str, depth: int = 0) -> dict[str, Any]:
        """`fillFlowInfo`: {"flow", "nodes"} with embedded flows nested, or {"error"}."""
        graph = self._graph(project, flow_id)
        if graph is None or depth > 50:
            return {"error": errors.FLOW_NOT_FOUND.format(flow=flow_id, project=project.name)}
        nodes = []
        for node in graph["nodes"]:
            obj: dict[str, Any] = {"id": node["id"], "type": node["type"]}
            if node["in"]:
                obj["in"] = node["in"]
            if node["condition"]:
                obj["condition"] = node["condition"]
            if node["embedded"]:
                obj["flowId"] = node["embedded"]
                obj.update(self.flow_info(project, node["embedded"], depth + 1))
            nodes.append(obj)
        return {"flow": flow_id, "nodes": nodes}

    def flow_jobs(self, project: ProjectRecord, flow_id: str) -> dict[str, Any]:
        """`ajaxFetchFlow` (ajax=fetchflowjobs); a missing flow is an NPE (HTTP 500)."""
        graph = self._graph(project, flow_id)
        if graph is None:
            raise errors.ServerCrash("java.lang.NullPointerException")
        levels = _levels(graph["nodes"])
        dependents: dict[str, list[str]] = {n["id"]: [] for n in graph["nodes"]}
        for node in graph["nodes"]:
            for parent in node["in"]:
                dependents.setdefault(parent, []).append(node["id"])
        nodes = [
            {
                "id": n["id"],
                "type": n["type"],
                "dependencies": list(n["in"]),
                "dependents": sorted(dependents[n["id"]]),
                "level": levels[n["id"]],
            }
            for n in sorted(graph["nodes"], key=lambda n: (levels[n["id"]], n["id"]))
        ]
        return {"flowId": flow_id, "nodes": nodes, "isLocked": False}

    def _walk_nodes(
        self, project: ProjectRecord, flow_id: str, depth: int = 0
    ) -> Iterator[dict[str, Any]]:
        graph = self._graph(project, flow_id)
        if graph is None or depth > 50:
            return
        for node in graph["nodes"]:
            yield node
            if node["embedded"]:
                yield from self._walk_nodes(project, node["embedded"], depth + 1)

    # --- schedules ---
    def schedule_cron(
        self,
        user: str,
        project_name: str,
        flow_id: str,
        *,
        cron: str | None,
        end_sched_time: int,
        options: ExecOptions | None,
        option_error: str | None = None,
    ) -> dict[str, Any]:
        """`ajax=scheduleCronFlow` (ScheduleServlet.ajaxScheduleCronFlow), incl. its quirks."""
        project = self.project(project_name)
        if project is None:
            return {"status": "error", "message": errors.SCHED_NO_PROJECT.format(name=project_name)}
        if not self.has_permission(user, project, "SCHEDULE"):
            return {"status": "error", "message": errors.SCHED_DENIED.format(flow=flow_id)}
        if self.store.flow(project.id, flow_id) is None:
            message = errors.SCHED_NO_FLOW.format(flow=flow_id, project=project_name)
            return {"status": "error", "message": message}
        ret: dict[str, Any] = {}
        now = self.clock.now_local()
        if cron is not None and not is_valid_quartz(cron, now):
            return {"error": errors.SCHED_BAD_CRON.format(expr=cron)}
        if cron is None:
            ret["error"] = errors.SCHED_NO_CRON
        if option_error is not None:
            ret["error"] = option_error
        schedule_id = -1
        if cron is not None:
            # Schedule.updateTime: without a cron the schedule is built but never stored.
            now_ms = self.clock.now_ms()
            record = ScheduleRecord(
                -1,
                project.id,
                project_name,
                flow_id,
                cron,
                now_ms,
                end_sched_time,
                user,
                now_ms,
                json.dumps((options or ExecOptions()).to_json()),
                False,
            )
            schedule_id = self.store.upsert_schedule(record)
        ret.update(
            status="success",
            scheduleId=schedule_id,
            message=errors.SCHED_OK.format(project=project_name, flow=flow_id),
        )
        return ret

    def _next_exec_ms(self, cron: str) -> int | None:
        try:
            fire = parse_quartz(cron).next_fire_time(self.clock.now_local())
        except ValueError:
            return None
        return int(fire.timestamp() * 1000) if fire else None

    def fetch_schedule(self, project_id: int, flow_id: str) -> dict[str, Any]:
        """`ajax=fetchSchedule`: {} or {"schedule": {...}} with string id and formatted times."""
        rec = self.store.schedule_for_flow(project_id, flow_id)
        if rec is None:
            return {}
        next_ms = self._next_exec_ms(rec.cron)
        return {
            "schedule": {
                "scheduleId": str(rec.schedule_id),
                "submitUser": rec.submit_user,
                "firstSchedTime": format_time(rec.first_sched_time),
                "nextExecTime": format_time(next_ms) if next_ms else None,
                "period": "null",
                "cronExpression": rec.cron,
                "executionOptions": json.loads(rec.options),
                "backExecuteOnce": rec.back_execute_once,
            }
        }

    def all_schedules(self) -> dict[str, Any]:
        """`ajax=fetchSchedules`: {} or {"items": [...]}, no permission filter."""
        items = [
            {
                "scheduleId": rec.schedule_id,
                "flowname": rec.flow_id,
                "projectname": rec.project_name,
                "time": rec.first_sched_time,
                "cron": rec.cron,
                "period": 0,
                "history": False,
            }
            for rec in self.store.schedules()
        ]
        return {"items": items} if items else {}

    def remove_schedule(self, user: str, schedule_id: int) -> dict[str, Any]:
        """`POST /schedule action=removeSched` (ScheduleServlet.ajaxRemoveSched)."""
        rec = self.store.schedule(schedule_id)
        if rec is None:
            return {"status": "error", "message": errors.REMOVE_UNKNOWN.format(id=schedule_id)}
        project = self.store.project_by_id(rec.project_id)
        if project is None or not project.active:
            return {
                "status": "error",
                "message": errors.REMOVE_NO_PROJECT.format(id=rec.project_id),
            }
        if not self.has_permission(user, project, "SCHEDULE"):
            return {"status": "error", "message": errors.REMOVE_DENIED.format(id=schedule_id)}
        self.store.delete_schedule(schedule_id)
        return {"status": "success", "message": errors.REMOVE_OK.format(flow=rec.flow_id)}

    # --- executions ---
    def status_of(self, rec: ExecutionRecord) -> tuple[str, int, int]:
        """(status, startTime, endTime) on the sandbox clock: READY -> RUNNING -> final."""
        start = rec.submit_time + rec.step_ms
        if rec.final_status is not None:
            return rec.final_status, (start if rec.end_time >= start else -1), rec.end_time
        elapsed = self.clock.now_ms() - rec.submit_time
        if elapsed < rec.step_ms:
            return "READY", -1, -1
        if elapsed < 2 * rec.step_ms:
            return "RUNNING", start, -1
        return ("FAILED" if rec.will_fail else "SUCCEEDED"), start, start + rec.step_ms

    def _running_ids(self, project_id: int, flow_id: str) -> list[int]:
        return [
            rec.exec_id
            for rec in self.store.executions_for_flow(project_id, flow_id)
            if self.status_of(rec)[0] in RUNNING_STATUSES
        ]

    def execute_flow(
        self,
        user: str,
        project_name: str,
        flow_id: str,
        options: ExecOptions | None,
        option_error: str | None = None,
    ) -> dict[str, Any]:
        """`ajax=executeFlow` (ExecutorServlet.ajaxExecuteFlow): checks, then submission rules."""
        ret: dict[str, Any] = {"project": project_name}
        project = self.project(project_name)
        if project is None or not self.has_permission(user, project, "EXECUTE"):
            ret["error"] = errors.EXEC_NO_PROJECT.format(name=project_name)
            return ret
        ret["flow"] = flow_id
        if self.store.flow(project.id, flow_id) is None:
            quirk = format(zlib.crc32(f"{project.id}:{project.name}".encode()), "x")
            ret["error"] = errors.EXEC_NO_FLOW.format(flow=flow_id, hash=quirk)
            return ret
        if options is None or option_error is not None:
            ret["error"] = errors.EXEC_BAD_OPTIONS.format(msg=option_error)
            return ret
        with self._submit_lock:
            ret.update(self._submit(user, project, flow_id, options))
        return ret

    def _submit(
        self, user: str, project: ProjectRecord, flow_id: str, options: ExecOptions
    ) -> dict[str, Any]:
        running = self._running_ids(project.id, flow_id)
        prefix = ""
        if len(running) >= MAX_CONCURRENT_RUNS:
            error = errors.EXEC_TOO_MANY.format(flow=flow_id, limit=MAX_CONCURRENT_RUNS)
            return {"error": error, "execid": -1}
        if running:
            ids = ",".join(str(i) for i in sorted(running))
            if options.concurrent_option == "skip":
                return {"error": errors.EXEC_SKIP.format(flow=flow_id), "execid": -1}
            if options.concurrent_option == "pipeline":
                prefix = errors.EXEC_PIPELINE.format(
                    flow=flow_id, ids=ids, level=options.pipeline_level
                )
            else:
                prefix = errors.EXEC_CONCURRENT.format(flow=flow_id, ids=ids)
        will_fail = any(node_fails(n) for n in self._walk_nodes(project, flow_id))
        rec = ExecutionRecord(
            -1,
            project.id,
            project.name,
            flow_id,
            project.version,
            user,
            self.clock.now_ms(),
            int(self.execution_step_seconds * 1000),
            will_fail,
            None,
            -1,
            json.dumps(options.to_json()),
        )
        exec_id = self.store.insert_execution(rec)
        return {"execid": exec_id, "message": prefix + errors.EXEC_QUEUED.format(execid=exec_id)}

    def execution(self, exec_id: int) -> ExecutionRecord | None:
        """One execution by id."""
        return self.store.execution(exec_id)

    def exec_access_error(self, user: str, rec: ExecutionRecord) -> str | None:
        """`getProjectAjaxByPermission(READ)` for execid-based ajax: the error text, if any."""
        project = self.store.project_by_id(rec.project_id)
        if project is None or not project.active:
            return errors.PROJECT_NULL
        if not self.has_permission(user, project, "READ"):
            return errors.EXEC_DENIED.format(user=user, type="READ", project=project.name)
        return None

    def exec_json(self, rec: ExecutionRecord) -> dict[str, Any]:
        """`ajax=fetchexecflow` reply body (flow node info with nested nodes)."""
        status, start, end = self.status_of(rec)
        project = self.store.project_by_id(rec.project_id)
        now = self.clock.now_ms()
        nodes = []
        if project is not None:
            nodes = self._exec_nodes(project, rec.flow_id, (status, start, end, now), 0)
        return {
            "execid": rec.exec_id,
            "projectId": rec.project_id,
            "project": rec.project_name,
            "submitUser": rec.submit_user,
            "submitTime": rec.submit_time,
            "id": rec.flow_id,
            "flowId": rec.flow_id,
            "flow": rec.flow_id,
            "nestedId": rec.flow_id,
            "type": None,
            "status": status,
            "startTime": start,
            "endTime": end,
            "updateTime": now,
            "attempt": 0,
            "nodes": nodes,
        }

    def _exec_nodes(
        self,
        project: ProjectRecord,
        flow_id: str,
        timing: tuple[str, int, int, int],
        depth: int,
    ) -> list[dict[str, Any]]:
        status, start, end, now = timing
        graph = self._graph(project, flow_id)
        if graph is None or depth > 50:
            return []
        out = []
        for node in graph["nodes"]:
            node_status = status
            if status == "FAILED":
                node_status = "FAILED" if node_fails(node) else "SUCCEEDED"
            obj: dict[str, Any] = {
                "id": node["id"],
                "nestedId": node["id"],
                "type": node["type"],
                "status": node_status,
                "startTime": start,
                "endTime": end,
                "updateTime": now,
                "attempt": 0,
            }
            if node["in"]:
                obj["in"] = node["in"]
            if node["embedded"]:
                obj["flowId"] = node["embedded"]
                obj["flow"] = node["embedded"]
                obj["nodes"] = self._exec_nodes(project, node["embedded"], timing, depth + 1)
            out.append(obj)
        return out

    def running(self, user: str, project_name: str, flow_id: str) -> dict[str, Any]:
        """`ajax=getRunning`: {"execIds": [...]} or {} when nothing runs."""
        project = self.project(project_name)
        if project is None:
            return {"error": errors.PROJECT_NULL}
        if not self.has_permission(user, project, "EXECUTE"):
            return {
                "error": errors.EXEC_DENIED.format(user=user, type="EXECUTE", project=project_name)
            }
        ids = self._running_ids(project.id, flow_id)
        return {"execIds": ids} if ids else {}

    def cancel(self, user: str, rec: ExecutionRecord) -> dict[str, Any]:
        """`ajax=cancelFlow`: {} on success; the AEMA text when not running."""
        project = self.store.project_by_id(rec.project_id)
        if project is None or not project.active:
            return {"error": errors.PROJECT_NULL}
        if not self.has_permission(user, project, "EXECUTE"):
            error = errors.EXEC_DENIED.format(user=user, type="EXECUTE", project=project.name)
            return {"error": error}
        with self._submit_lock:
            if self.status_of(rec)[0] not in RUNNING_STATUSES:
                return {
                    "error": errors.EXEC_NOT_RUNNING.format(execid=rec.exec_id, flow=rec.flow_id)
                }
            self.store.finish_execution(rec.exec_id, "KILLED", self.clock.now_ms())
        return {}

    def flow_executions(
        self, project: ProjectRecord, flow_id: str, start: int, length: int
    ) -> dict[str, Any]:
        """`ajax=fetchFlowExecutions`: newest first, paged by start/length."""
        records = self.store.executions_for_flow(project.id, flow_id)
        page = records[max(start, 0) : max(start, 0) + max(length, 0)]
        executions = []
        for rec in page:
            status, begin, end = self.status_of(rec)
            executions.append(
                {
                    "execId": rec.exec_id,
                    "flowId": rec.flow_id,
                    "projectId": rec.project_id,
                    "status": status,
                    "submitTime": rec.submit_time,
                    "startTime": begin,
                    "endTime": end,
                    "submitUser": rec.submit_user,
                }
            )
        return {
            "project": project.name,
            "projectId": project.id,
            "flow": flow_id,
            "from": start,
            "length": length,
            "total": len(records),
            "executions": executions,
        }

    def exec_log(self, rec: ExecutionRecord) -> str:
        """A short synthetic flow log following the execution's timeline."""
        status, start, end = self.status_of(rec)
        lines = [f"{format_time(rec.submit_time)} Submitting flow {rec.flow_id} (sandbox)"]
        if start > 0:
            lines.append(f"{format_time(start)} Running flow '{rec.flow_id}'.")
        if end > 0:
            lines.append(f"{format_time(end)} Flow '{rec.flow_id}' is set to {status}")
        return "\n".join(lines) + "\n"

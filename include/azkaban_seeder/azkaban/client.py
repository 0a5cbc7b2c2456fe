"""Thin endpoint methods over the transport: build path + parameters, pick a parser and a
retry predicate. Reply interpretation lives in `replies.py`, retry rules in `retry.py`.

One `AzkabanClient` per process: it logs in once and reuses the session for every call.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban import replies
from azkaban_seeder.azkaban.health import HealthBoard, LocalHealth
from azkaban_seeder.azkaban.multipart import MultipartBody
from azkaban_seeder.azkaban.ownership import foreign_reason, with_marker
from azkaban_seeder.azkaban.replies import RawReply, RequestKind
from azkaban_seeder.azkaban.retry import (
    Predicate,
    RetryPolicy,
    is_never_acted_on,
    is_transient,
    is_unanswered,
)
from azkaban_seeder.azkaban.settings import ConnectionSettings
from azkaban_seeder.azkaban.stats import RetryStats
from azkaban_seeder.azkaban.transport import Transport

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Failures after which the server may have acted on a write (so a later "already exists" /
#: "does not exist" can be our own earlier attempt succeeding).
_MAY_HAVE_ACTED = (e.RequestTimeout, e.ConnectionDropped, e.AzkabanServerError)


@dataclass(frozen=True)
class UploadResult:
    """Reply of a successful upload; Azkaban sends both ids as strings."""

    project_id: str
    version: str
    warnings: str | None = None


@dataclass(frozen=True)
class ProjectInfo:
    """One entry of ``fetchallprojects`` (``createdBy`` is really the last modifier)."""

    name: str
    id: int
    created_by: str


@dataclass(frozen=True)
class ScheduleInfo:
    """A cron schedule, from ``fetchSchedule`` (one) or ``fetchSchedules`` (all)."""

    schedule_id: int
    flow: str
    cron: str | None
    project: str | None = None
    project_id: int | None = None
    next_exec_time: str | None = None
    submit_user: str | None = None


class AzkabanClient:
    """Azkaban AJAX API client with one session per process and bounded retries."""

    def __init__(
        self,
        settings: ConnectionSettings,
        retry: RetryPolicy | None = None,
        *,
        fresh_after: float = 60.0,
        health: HealthBoard | None = None,
    ) -> None:
        self.settings = settings
        self.policy = retry or RetryPolicy()
        #: The run's outage clock; shared by all clients of a run when the runner passes one.
        self.health: HealthBoard = health if health is not None else LocalHealth()
        self.stats = RetryStats()
        self._transport = Transport(settings, self.stats, fresh_after=fresh_after)

    def __repr__(self) -> str:
        return f"AzkabanClient({self.settings!r})"

    def __enter__(self) -> AzkabanClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    # --- plumbing ------------------------------------------------------------------------

    def _call(
        self,
        endpoint: str,
        attempt: Callable[[], T],
        predicate: Predicate = is_transient,
        failures: list[BaseException] | None = None,
    ) -> T:
        """Run `attempt` under the retry policy; forget the session when the server lost it."""

        def once() -> T:
            self._check_circuit(endpoint)
            started = time.time()
            try:
                value = attempt()
            except e.SessionExpired:
                self.health.answered()
                self._transport.invalidate()
                raise
            except e.AzkabanError as exc:
                if is_unanswered(exc):
                    self.health.failed(started)
                elif not isinstance(exc, e.AzkabanTransportError | e.SettingsError):
                    self.health.answered()
                if failures is not None:
                    failures.append(exc)
                raise
            self.health.answered()
            return value

        return self.policy.retrying(endpoint, self.stats, predicate)(once)

    def _check_circuit(self, endpoint: str) -> None:
        """Refuse to send once the run's server has been down longer than the window."""
        since = self.health.down_since()
        window = self.policy.outage_seconds
        if since is not None and window > 0 and time.time() - since > window:
            raise e.ServerUnreachable(since, window, endpoint=endpoint)

    def _get(self, endpoint: str, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """GET an ajax endpoint and return its JSON (typed errors raised, retried if transient)."""

        def attempt() -> dict[str, Any]:
            raw = self._transport.send(
                endpoint, "GET", path, kind=RequestKind.AJAX_GET, params=params
            )
            return replies.parse_ok(endpoint, RequestKind.AJAX_GET, raw)

        return self._call(endpoint, attempt)

    def _post(self, endpoint: str, path: str, data: Mapping[str, Any]) -> RawReply:
        return self._transport.send(endpoint, "POST", path, kind=RequestKind.FORM_POST, data=data)

    # --- session -------------------------------------------------------------------------

    def login(self) -> None:
        """POST / ``action=login`` (url-encoded); reply ``{"status", "session.id"}``.

        Called implicitly by the first request; call it to fail fast on bad credentials.
        """
        self._call("login", self._transport.login)

    # --- projects ------------------------------------------------------------------------

    def create_project(self, name: str, description: str = "") -> None:
        """POST /manager ``action=create&name=&description=`` (description gets `MARKER`).

        Reply (compact JSON) ``{"status": "success", "action": "redirect", "path": ...}`` or
        ``{"status": "error", "message": ...}``. A timeout followed by "Project already
        exists." on the retry counts as success if the project is ours (`is_ours`).
        """
        endpoint = "create project"
        data = {"action": "create", "name": name, "description": with_marker(description)}
        failures: list[BaseException] = []

        def attempt() -> None:
            replies.parse_create(endpoint, self._post(endpoint, "/manager", data))

        try:
            self._call(endpoint, attempt, failures=failures)
        except e.ProjectAlreadyExists:
            if _acted_before(failures) and self.is_ours(name):
                log.info("azkaban: project %s was created by an earlier attempt", name)
                return
            raise

    def ensure_project(self, name: str, description: str = "") -> bool:
        """Create the project unless it exists; True if created now.

        An existing project is accepted only if `is_ours` (else `ForeignProjectError`).
        """
        try:
            self.create_project(name, description)
        except e.ProjectAlreadyExists:
            self.check_ours(name)
            return False
        return True

    def fetch_project_page(self, name: str) -> str:
        """GET /manager ``project=`` (no ``ajax``): the HTML project page, which shows the
        project's description (the only place Azkaban exposes it). Raises `ProjectNotFound`
        when the page says the project does not exist."""
        endpoint = "project page"

        def attempt() -> str:
            raw = self._transport.send(
                endpoint, "GET", "/manager", kind=RequestKind.PAGE_GET, params={"project": name}
            )
            return replies.parse_project_page(endpoint, name, raw)

        return self._call(endpoint, attempt)

    def foreign_reason(self, name: str) -> str | None:
        """Ownership rule (see `ownership`): None if the project's description carries
        `MARKER`, else why the project is not ours. Raises `ProjectNotFound`."""
        return foreign_reason(self.fetch_project_page(name))

    def is_ours(self, name: str) -> bool:
        """True if the existing project `name` carries our marker (see `foreign_reason`)."""
        return self.foreign_reason(name) is None

    def check_ours(self, name: str) -> None:
        """Raise `ForeignProjectError` unless `is_ours(name)`."""
        reason = self.foreign_reason(name)
        if reason is not None:
            raise e.ForeignProjectError(name, reason)

    def upload_project(
        self,
        name: str,
        zip_file: bytes | os.PathLike[str] | str,
        *,
        expected_flows: int | None = None,
        timeout: float | None = None,
        file_name: str | None = None,
    ) -> UploadResult:
        """Multipart POST /manager with fields ``ajax=upload``, ``project``, ``file`` (zip).

        Reply ``{"projectId": "<id>", "version": "<n>"[, "warn"]}`` (strings); errors with
        HTTP 400/403/410/500 (see `replies.parse_upload`). The body has an explicit
        Content-Length (never chunked) and is streamed from the file. If the session sat idle
        longer than `fresh_after`, a cheap authenticated GET runs first so an expired session
        is noticed before the zip is sent. `expected_flows`: afterwards compare the number of
        flows the server lists (``fetchprojectflows``), `FlowCountMismatch` if different.
        `timeout`: read timeout for the upload (default: settings.timeout). `file_name`: the
        name the server stores the zip under (default: the file's own name); Azkaban hands it
        back on download (`uploaded_file_name`).
        """
        endpoint = "upload project"
        if file_name is None:
            file_name = f"{name}.zip" if isinstance(zip_file, bytes) else Path(zip_file).name
        if not file_name.lower().endswith(".zip"):
            file_name += ".zip"  # the server checks the extension (spec 4.2)

        def attempt() -> dict[str, str]:
            if self._transport.is_stale():
                self._probe_session(name)
            body = MultipartBody({"ajax": "upload", "project": name}, "file", file_name, zip_file)
            try:
                raw = self._transport.send(
                    endpoint,
                    "POST",
                    "/manager",
                    kind=RequestKind.MULTIPART,
                    body=body,
                    timeout=timeout,
                )
            finally:
                body.close()
            return replies.parse_upload(endpoint, raw)

        reply = self._call(endpoint, attempt)
        result = UploadResult(reply["projectId"], reply["version"], reply.get("warn"))
        if expected_flows is not None:
            listed = len(self.fetch_project_flows(name))
            if listed != expected_flows:
                raise e.FlowCountMismatch(
                    f"project {name!r} lists {listed} flows after upload, expected "
                    f"{expected_flows}",
                    endpoint=endpoint,
                )
        return result

    def _probe_session(self, name: str) -> None:
        """GET /manager ``ajax=getProjectId``: only to surface `SessionExpired` (any other
        verdict, e.g. an unknown project, is left to the upload itself)."""
        raw = self._transport.send(
            "session probe",
            "GET",
            "/manager",
            kind=RequestKind.AJAX_GET,
            params={"ajax": "getProjectId", "project": name},
        )
        try:
            replies.parse_ok("session probe", RequestKind.AJAX_GET, raw)
        except e.AzkabanRequestError:
            pass  # the session is fine; the upload will report what is wrong with the project

    def uploaded_file_name(self, name: str) -> str | None:
        """The file name the project's current version was uploaded under, or None if the
        project does not exist or has no upload.

        ``GET /manager?project=P&download=true``: the server answers the zip with
        ``Content-Disposition: attachment; filename="<stored name>"`` plus ``version`` and
        ``projectId`` headers (docs/azkaban-reference.md §4.13); only the headers are read.
        A missing project or version is a 302 with a failure cookie.
        """
        endpoint = "download project"

        def attempt() -> str | None:
            raw = self._transport.send(
                endpoint,
                "GET",
                "/manager",
                kind=RequestKind.PAGE_GET,
                params={"project": name, "download": "true"},
                headers_only=True,
            )
            if raw.status in (301, 302, 303):
                return None
            if raw.status >= 500:
                raise e.AzkabanServerError(
                    f"server error HTTP {raw.status}", endpoint=endpoint, status=raw.status
                )
            match = re.search(r'filename="?([^";]+)"?', raw.headers.get("content-disposition", ""))
            if match is None and "html" in (raw.content_type or "").lower():
                # A page GET with a lost session gets the login page (spec 1.4, shape 2).
                raise e.SessionExpired("session expired (login page)", endpoint=endpoint)
            if raw.status != 200 or match is None:
                raise e.AzkabanProtocolError(
                    f"download of {name!r} answered HTTP {raw.status} without a file name",
                    endpoint=endpoint,
                    status=raw.status,
                )
            return match.group(1)

        return self._call(endpoint, attempt)

    def fetch_project_flows(self, name: str) -> list[str]:
        """GET /manager ``ajax=fetchprojectflows&project=``; reply ``{"project", "projectId",
        "flows": [{"flowId"}]}`` (embedded 2.0 subflows excluded). Returns sorted flow ids."""
        payload = self._get(
            "fetch project flows", "/manager", {"ajax": "fetchprojectflows", "project": name}
        )
        return sorted(str(f["flowId"]) for f in payload.get("flows") or [])

    def fetch_flow_graph(self, project: str, flow: str) -> dict[str, Any]:
        """GET /manager ``ajax=fetchflowgraph&project=&flow=``; reply ``{"project",
        "projectId", "flow", "nodes": [{"id", "type", "in"?, "condition"?, ...}]}``."""
        return self._get(
            "fetch flow graph",
            "/manager",
            {"ajax": "fetchflowgraph", "project": project, "flow": flow},
        )

    def fetch_all_projects(self) -> list[ProjectInfo]:
        """GET /index ``ajax=fetchallprojects``; reply ``{"projects": [{"projectId",
        "projectName", "createdBy", "createdTime", ...}]}`` (all active projects)."""
        payload = self._get("fetch all projects", "/index", {"ajax": "fetchallprojects"})
        return [
            ProjectInfo(str(p["projectName"]), int(p["projectId"]), str(p.get("createdBy", "")))
            for p in payload.get("projects") or []
        ]

    def get_project_id(self, name: str) -> int:
        """GET /manager ``ajax=getProjectId&project=``; reply ``{"project", "projectId"}``."""
        endpoint = "get project id"
        payload = self._get(endpoint, "/manager", {"ajax": "getProjectId", "project": name})
        project_id = replies.as_int(payload.get("projectId"))
        if project_id is None:
            raise e.AzkabanProtocolError(
                "reply has no projectId", endpoint=endpoint, body=json.dumps(payload)
            )
        return project_id

    def delete_project(self, name: str) -> None:
        """GET /manager ``delete=true&project=``: no JSON, a 302 whose cookie
        ``azkaban.success.message`` / ``azkaban.failure.message`` carries the verdict (the
        redirect is not followed). Removes the project's schedules too. A retry that finds the
        project gone after a timeout counts as success."""
        endpoint = "delete project"
        failures: list[BaseException] = []

        def attempt() -> None:
            raw = self._transport.send(
                endpoint,
                "GET",
                "/manager",
                kind=RequestKind.PAGE_GET,
                params={"delete": "true", "project": name},
            )
            replies.parse_delete(endpoint, raw)

        try:
            self._call(endpoint, attempt, failures=failures)
        except e.ProjectNotFound:
            if not _acted_before(failures):
                raise

    # --- schedules -----------------------------------------------------------------------

    def fetch_schedule(self, project_id: int, flow_id: str) -> ScheduleInfo | None:
        """GET /schedule ``ajax=fetchSchedule&projectId=&flowId=``; reply ``{}`` or
        ``{"schedule": {"scheduleId": "<str>", "cronExpression", "nextExecTime",
        "submitUser", ...}}``."""
        payload = self._get(
            "fetch schedule",
            "/schedule",
            {"ajax": "fetchSchedule", "projectId": project_id, "flowId": flow_id},
        )
        item = payload.get("schedule")
        if not item:
            return None
        return ScheduleInfo(
            schedule_id=int(item["scheduleId"]),
            flow=flow_id,
            cron=item.get("cronExpression"),
            project_id=project_id,
            next_exec_time=item.get("nextExecTime"),
            submit_user=item.get("submitUser"),
        )

    def fetch_schedules(self) -> list[ScheduleInfo]:
        """GET /schedule ``ajax=fetchSchedules``; reply ``{}`` or ``{"items": [{"scheduleId",
        "flowname", "projectname", "time", "cron", "period", "history"}]}`` (all schedules)."""
        payload = self._get("fetch schedules", "/schedule", {"ajax": "fetchSchedules"})
        return [
            ScheduleInfo(
                schedule_id=int(item["scheduleId"]),
                flow=str(item["flowname"]),
                cron=item.get("cron"),
                project=item.get("projectname"),
            )
            for item in payload.get("items") or []
        ]

    def schedule_cron_flow(self, project: str, flow: str, cron: str, **options: Any) -> int:
        """POST /schedule ``ajax=scheduleCronFlow&projectName=&flow=&cronExpression=`` (+
        execution options). Upsert per (project, flow), keeps the schedule id. Reply
        ``{"status": "success", "scheduleId": <int>, "message"}``; an ``error`` key (also
        next to status success, or without status for a bad cron) raises."""
        endpoint = "schedule flow"
        data = {
            "ajax": "scheduleCronFlow",
            "projectName": project,
            "flow": flow,
            "cronExpression": cron,
            **_execution_options(options),
        }

        def attempt() -> int:
            return replies.parse_schedule(endpoint, self._post(endpoint, "/schedule", data))

        return self._call(endpoint, attempt)

    def remove_schedule(self, schedule_id: int) -> None:
        """POST /schedule ``action=removeSched&scheduleId=``; reply ``{"status", "message"}``.
        A retry that finds the schedule gone after a timeout counts as success."""
        endpoint = "remove schedule"
        data = {"action": "removeSched", "scheduleId": str(schedule_id)}
        failures: list[BaseException] = []

        def attempt() -> None:
            replies.parse_status_reply(endpoint, self._post(endpoint, "/schedule", data))

        try:
            self._call(endpoint, attempt, failures=failures)
        except e.ScheduleNotFound:
            if not _acted_before(failures):
                raise

    # --- executions ----------------------------------------------------------------------

    def execute_flow(self, project: str, flow: str, **options: Any) -> int:
        """POST /executor ``ajax=executeFlow&project=&flow=`` (+ options such as
        ``concurrentOption``, ``disabled`` (list), ``flowOverride`` (dict)). Reply
        ``{"project", "flow", "execid", "message"}``; success iff no ``error`` and execid > 0.
        Retried only when the server provably did not act (connect failure, expired session).
        """
        endpoint = "execute flow"
        data = {
            "ajax": "executeFlow",
            "project": project,
            "flow": flow,
            **_execution_options(options),
        }

        def attempt() -> int:
            return replies.parse_execute(endpoint, self._post(endpoint, "/executor", data))

        return self._call(endpoint, attempt, predicate=is_never_acted_on)

    def fetch_exec_flow(self, exec_id: int) -> dict[str, Any]:
        """GET /executor ``ajax=fetchexecflow&execid=``; reply ``{"execid", "status",
        "project", "flow", "nodes", "submitTime", ...}``."""
        return self._get(
            "fetch execution", "/executor", {"ajax": "fetchexecflow", "execid": exec_id}
        )

    def cancel_flow(self, exec_id: int) -> None:
        """POST /executor ``ajax=cancelFlow&execid=``; reply ``{}`` on success, ``{"error":
        "Execution N of flow F isn't running."}`` if finished (raised unless an earlier attempt
        may have cancelled it)."""
        endpoint = "cancel execution"
        data = {"ajax": "cancelFlow", "execid": str(exec_id)}
        failures: list[BaseException] = []

        def attempt() -> None:
            replies.parse_ok(
                endpoint, RequestKind.FORM_POST, self._post(endpoint, "/executor", data)
            )

        try:
            self._call(endpoint, attempt, failures=failures)
        except e.ExecutionNotRunning:
            if not _acted_before(failures):
                raise


def _acted_before(failures: list[BaseException]) -> bool:
    """Did an attempt before the last one fail in a way that lets the server have acted?"""
    return any(isinstance(f, _MAY_HAVE_ACTED) for f in failures[:-1])


def _execution_options(options: Mapping[str, Any]) -> dict[str, str]:
    """Azkaban execution options (spec 4.10) as form fields: ``disabled`` list -> JSON,
    ``flowOverride`` dict -> ``flowOverride[key]``, booleans -> true/false."""
    fields: dict[str, str] = {}
    for key, value in options.items():
        if value is None:
            continue
        if key == "flowOverride" and isinstance(value, Mapping):
            fields.update({f"flowOverride[{k}]": str(v) for k, v in value.items()})
        elif key == "disabled" and not isinstance(value, str):
            fields[key] = json.dumps(list(value))
        elif isinstance(value, bool):
            fields[key] = "true" if value else "false"
        else:
            fields[key] = str(value)
    return fields

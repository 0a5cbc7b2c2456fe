"""Endpoint handlers: read request parameters, call the models, shape the reply.

One function per Azkaban endpoint; each docstring names it. No rules live here (they are in
`models.py`), only what the servlets do with parameters and reply encodings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.models import Backend, ExecOptions, Upload, UploadRejected
from azkaban_sandbox.sessions import Session, SessionStore
from azkaban_sandbox.store import ExecutionRecord, ProjectRecord
from azkaban_sandbox.wire import (
    SESSION_COOKIE,
    Reply,
    Request,
    compact_json,
    empty,
    html_page,
    pretty_json,
    redirect,
    set_cookie,
)

SUCCESS_COOKIE = "azkaban.success.message"
FAILURE_COOKIE = "azkaban.failure.message"
WARN_COOKIE = "azkaban.warn.message"
FAILURE_ACTIONS = {
    "finishCurrent": "FINISH_CURRENTLY_RUNNING",
    "cancelImmediately": "CANCEL_ALL",
    "finishPossible": "FINISH_ALL_POSSIBLE",
}


@dataclass
class Call:
    """What a handler gets: the backend, the request and the authenticated session."""

    backend: Backend
    req: Request
    session: Session

    @property
    def user(self) -> str:
        """The session's user id."""
        return self.session.user


Handler = Callable[[Call], Reply]
ProjectHandler = Callable[[Call, ProjectRecord, dict[str, Any]], None]


# --- parameter helpers (HttpRequestUtils) ---
def require(req: Request, name: str) -> str:
    """`getParam`: a missing parameter is a ServletException (Jetty 500 page)."""
    value = req.param(name)
    if value is None:
        raise errors.MissingParameter(name)
    return value


def require_int(req: Request, name: str) -> int:
    """`getIntParam(req, name)`: missing -> 500; not a number -> NumberFormatException 500."""
    value = require(req, name)
    try:
        return int(value)
    except ValueError as exc:
        raise errors.ServerCrash(
            "java.lang.NumberFormatException", f'For input string: "{value}"'
        ) from exc


def int_param(req: Request, name: str, default: int) -> int:
    """`getIntParam(req, name, default)`: parse errors fall back to the default."""
    try:
        return int(req.param(name) or "")
    except ValueError:
        return default


def bool_param(req: Request, name: str, default: bool) -> bool:
    """`getBooleanParam`: Boolean.parseBoolean, default when absent."""
    value = req.param(name)
    return default if value is None else value.strip().lower() == "true"


def _emails(value: str | None) -> list[str]:
    return [e for e in re.split(r"[\s,;]+", value or "") if e]


def parse_flow_options(req: Request) -> ExecOptions:
    """`HttpRequestUtils.parseFlowOptions`; raises ValueError with the parse error text."""
    opts = ExecOptions()
    if req.has("disabled"):
        try:
            disabled = json.loads(req.param("disabled") or "")
        except ValueError as exc:
            raise ValueError(str(exc)) from exc
        opts.disabled_jobs = disabled if isinstance(disabled, list) else []
    opts.success_emails = _emails(req.param("successEmails"))
    opts.failure_emails = _emails(req.param("failureEmails"))
    opts.success_emails_override = bool_param(req, "successEmailsOverride", False)
    opts.failure_emails_override = bool_param(req, "failureEmailsOverride", False)
    opts.notify_failure_first = bool_param(req, "notifyFailureFirst", False)
    opts.notify_failure_last = bool_param(req, "notifyFailureLast", False)
    action = req.param("failureAction")
    if action is not None:
        opts.failure_action = FAILURE_ACTIONS.get(action, opts.failure_action)
    opts.concurrent_option = req.param("concurrentOption") or "skip"
    if opts.concurrent_option == "pipeline":
        try:
            opts.pipeline_level = require_int(req, "pipelineLevel")
        except (errors.MissingParameter, errors.ServerCrash) as exc:
            raise ValueError(str(exc)) from exc
    opts.queue_level = int_param(req, "queueLevel", 0)
    opts.flow_parameters = req.prefixed("flowOverride")
    return opts


def _options_or_error(req: Request) -> tuple[ExecOptions | None, str | None]:
    try:
        return parse_flow_options(req), None
    except ValueError as exc:
        return None, str(exc)


# --- login (LoginAbstractAzkabanServlet.handleAjaxLoginAction) ---
def login(backend: Backend, sessions: SessionStore, req: Request) -> Reply:
    """`POST action=login`: pretty JSON with session.id plus the session cookie."""
    if not (req.has("username") and req.has("password")):
        return pretty_json({"error": errors.INCORRECT_LOGIN})
    try:
        user = backend.users.authenticate(req.param("username"), req.param("password"))
    except errors.AuthError as exc:
        return pretty_json({"error": f"{errors.INCORRECT_LOGIN} {exc.message}"})
    session = sessions.create(user, req.client_ip)
    reply = pretty_json({"status": "success", "session.id": session.session_id})
    reply.headers.append(set_cookie(SESSION_COOKIE, session.session_id))
    return reply


def index_redirect(call: Call) -> Reply:
    """`/` (IndexRedirectServlet): redirect to the default servlet path `/index`."""
    return redirect("/index")


# --- /manager (ProjectManagerServlet) ---
def project_page(call: Call) -> Reply:
    """`GET /manager?project=P` (the project page); without `project`: "No project set."."""
    name = call.req.param("project")
    if name is None:
        return html_page("Azkaban", "No project set.")
    project = call.backend.project(name)
    if project is None:
        return html_page("Azkaban", f"Project {name} doesn't exist.")
    return html_page(f"Project {project.name}", project.description)


def create_project(call: Call) -> Reply:
    """`POST /manager action=create`: compact JSON, no Content-Type (createJsonResponse)."""
    name = call.req.param("name")
    try:
        call.backend.create_project(call.user, name, call.req.param("description"))
    except errors.ModelError as exc:
        return compact_json({"status": "error", "message": exc.message})
    return compact_json(
        {"status": "success", "action": "redirect", "path": f"manager?project={name}"}
    )


def delete_project(call: Call) -> Reply:
    """`GET /manager?delete=true&project=P`: always a 302 with a message cookie."""
    from azkaban_sandbox.models import DeleteRefused

    name = require(call.req, "project")
    try:
        message = call.backend.delete_project(call.user, name)
    except DeleteRefused as exc:
        return redirect(exc.location, [(FAILURE_COOKIE, exc.message)])
    return redirect("/", [(SUCCESS_COOKIE, message)])


def download(call: Call) -> Reply:
    """`GET /manager?project=P&download=true[&version=V]`: the stored zip."""
    name = require(call.req, "project")
    project = call.backend.project(name)
    if project is None:
        return redirect("/", [(FAILURE_COOKIE, f"Project {name} doesn't exist.")])
    version = int_param(call.req, "version", project.version)
    path = call.backend.zip_path(project, version)
    if path is None:
        message = f"Version {version} of project {name} is not available."
        return redirect(f"/manager?project={name}", [(FAILURE_COOKIE, message)])
    reply = Reply(200, path.read_bytes(), "application/zip")
    reply.headers += [
        ("Content-Disposition", f'attachment; filename="{name}-{version}.zip"'),
        ("version", str(version)),
        ("projectId", str(project.id)),
    ]
    return reply


def manager_ajax(handler: ProjectHandler) -> Handler:
    """`handleAJAXAction`: `project` is required, looked up, echoed with its projectId."""

    def wrapped(call: Call) -> Reply:
        name = require(call.req, "project")
        ret: dict[str, Any] = {"project": name}
        project = call.backend.project(name)
        if project is None:
            ret["error"] = errors.MANAGER_NO_PROJECT.format(name=name)
        else:
            ret["projectId"] = project.id
            handler(call, project, ret)
        return pretty_json(ret)

    wrapped.__doc__ = handler.__doc__
    return wrapped


def _allowed(call: Call, project: ProjectRecord, ptype: str, ret: dict[str, Any]) -> bool:
    if call.backend.has_permission(call.user, project, ptype):
        return True
    ret["error"] = errors.NEED_PERMISSION.format(type=ptype)
    return False


def fetch_project_flows(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=fetchprojectflows`: top-level flows only."""
    if _allowed(call, project, "READ", ret):
        ret["flows"] = [{"flowId": f} for f in call.backend.flow_ids(project)]


def fetch_flow_graph(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=fetchflowgraph`: nodes sorted by id, embedded flows nested."""
    if _allowed(call, project, "READ", ret):
        ret.update(call.backend.flow_info(project, require(call.req, "flow")))


def fetch_flow_jobs(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=fetchflowjobs` (used by the PyPI `azkaban` client)."""
    if _allowed(call, project, "READ", ret):
        ret.update(call.backend.flow_jobs(project, require(call.req, "flow")))


def get_project_id(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=getProjectId`: project and projectId only."""


def get_permissions(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=getPermissions`: user permissions of the project."""
    if _allowed(call, project, "READ", ret):
        ret["permissions"] = [{"username": project.created_by, "permission": ["ADMIN"]}]


def fetch_flow_executions(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=fetchFlowExecutions`: `start`/`length` required ints."""
    if _allowed(call, project, "READ", ret):
        flow = require(call.req, "flow")
        start, length = require_int(call.req, "start"), require_int(call.req, "length")
        ret.update(call.backend.flow_executions(project, flow, start, length))


def unknown_manager_ajax(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """Unknown ajax name under /manager."""
    ret["error"] = errors.UNKNOWN_COMMAND.format(name=call.req.param("ajax"))


def _upload_reply(call: Call) -> tuple[int, dict[str, str]]:
    body = call.req.multipart
    assert body is not None
    try:
        project = call.backend.upload_target(call.user, body.get("project"))
        part = body.files.get("file")
        if part is None:  # item.getName() on a null item
            raise errors.ServerCrash("java.lang.NullPointerException")
        call.backend.check_file(part.filename, part.content_type)
        upload = Upload(part.filename, part.payload(), part.size)
        version = call.backend.install(call.user, project, upload)
    except UploadRejected as exc:
        ret = {"error": exc.message}
        if exc.project is not None:
            ret.update(projectId=str(exc.project.id), version=str(exc.project.version))
        return exc.status, ret
    finally:
        body.discard()
    return 200, {"projectId": str(project.id), "version": str(version)}


def upload(call: Call) -> Reply:
    """Multipart `POST /manager` with field `ajax=upload`: statuses 200/400/410/500."""
    status, ret = _upload_reply(call)
    return pretty_json(ret, status)


def upload_form(call: Call) -> Reply:
    """Multipart `POST /manager` with `action=upload` (UI): 302 with a message cookie."""
    _, ret = _upload_reply(call)
    body = call.req.multipart
    name = body.get("project") if body else ""
    if "error" in ret:
        return redirect(f"/manager?project={name}", [(FAILURE_COOKIE, ret["error"])])
    return redirect(f"/manager?project={name}")


# --- /index (ProjectServlet) ---
def index_page(call: Call) -> Reply:
    """`GET /index`: the project list page, showing and clearing message cookies."""
    messages = [call.req.cookies.get(c, "") for c in (SUCCESS_COOKIE, FAILURE_COOKIE)]
    reply = html_page("Azkaban Projects", " ".join(m for m in messages if m))
    for cookie in (SUCCESS_COOKIE, FAILURE_COOKIE):
        if cookie in call.req.cookies:
            reply.headers.append(("Set-Cookie", f"{cookie}=; Path=/; Max-Age=0"))
    return reply


def fetch_all_projects(call: Call) -> Reply:
    """`GET /index?ajax=fetchallprojects`."""
    return pretty_json({"projects": call.backend.all_projects()})


def fetch_user_projects(call: Call) -> Reply:
    """`GET /index?ajax=fetchuserprojects[&user=U]`."""
    user = call.req.param("user") or call.user
    return pretty_json({"projects": call.backend.user_projects(user)})


def empty_json(call: Call) -> Reply:
    """Routed but unknown ajax names that answer `{}`."""
    return pretty_json({})


def empty_body(call: Call) -> Reply:
    """Handlers that write nothing (e.g. POST /index)."""
    return empty()


# --- /schedule (ScheduleServlet) ---
def schedule_page(call: Call) -> Reply:
    """`GET /schedule` without ajax: the schedule page."""
    return html_page("Scheduled Flows")


def schedule_cron_flow(call: Call) -> Reply:
    """`ajax=scheduleCronFlow` (GET or POST)."""
    project = require(call.req, "projectName")
    flow = require(call.req, "flow")
    cron = call.req.param("cronExpression") if call.req.has("cronExpression") else None
    end = call.req.param("endSchedTime")
    end_time = int(end) if end and end.lstrip("-").isdigit() else 2_524_608_000_000
    options, option_error = _options_or_error(call.req)
    ret = call.backend.schedule_cron(
        call.user,
        project,
        flow,
        cron=cron,
        end_sched_time=end_time,
        options=options,
        option_error=option_error,
    )
    return pretty_json(ret)


def fetch_schedule(call: Call) -> Reply:
    """`ajax=fetchSchedule&projectId=N&flowId=F` (no permission check)."""
    project_id = require_int(call.req, "projectId")
    return pretty_json(call.backend.fetch_schedule(project_id, require(call.req, "flowId")))


def fetch_schedules(call: Call) -> Reply:
    """`ajax=fetchSchedules` / `ajax=loadFlow`."""
    return pretty_json(call.backend.all_schedules())


def remove_schedule(call: Call) -> Reply:
    """`POST /schedule action=removeSched&scheduleId=N`."""
    schedule_id = require_int(call.req, "scheduleId")
    ret = call.backend.remove_schedule(call.user, schedule_id)
    reply = pretty_json(ret)
    cookie = SUCCESS_COOKIE if ret.get("status") == "success" else FAILURE_COOKIE
    reply.headers.append(set_cookie(cookie, ret.get("message", "")))
    return reply


# --- /executor (ExecutorServlet) ---
def executions_page(call: Call) -> Reply:
    """`GET /executor` without ajax."""
    return html_page("Executions")


def execute_flow(call: Call) -> Reply:
    """`ajax=executeFlow` (GET or POST)."""
    project = require(call.req, "project")
    flow = require(call.req, "flow")
    options, option_error = _options_or_error(call.req)
    return pretty_json(call.backend.execute_flow(call.user, project, flow, options, option_error))


def get_running(call: Call) -> Reply:
    """`ajax=getRunning&project=P&flow=F`."""
    project = require(call.req, "project")
    flow = require(call.req, "flow")
    return pretty_json(call.backend.running(call.user, project, flow))


def execid_ajax(handler: Callable[[Call, ExecutionRecord], dict[str, Any]]) -> Handler:
    """Execid-based ajax: unknown id -> "Cannot find execution"; no execid -> echo project."""

    def wrapped(call: Call) -> Reply:
        if not call.req.has("execid"):
            return pretty_json({"project": require(call.req, "project")})
        exec_id = require_int(call.req, "execid")
        rec = call.backend.execution(exec_id)
        if rec is None:
            return pretty_json({"error": errors.EXEC_NOT_FOUND.format(execid=exec_id)})
        denied = call.backend.exec_access_error(call.user, rec)
        if denied is not None:
            return pretty_json({"error": denied})
        return pretty_json(handler(call, rec))

    wrapped.__doc__ = handler.__doc__
    return wrapped


def fetch_exec_flow(call: Call, rec: ExecutionRecord) -> dict[str, Any]:
    """`ajax=fetchexecflow&execid=N`."""
    return call.backend.exec_json(rec)


def cancel_flow(call: Call, rec: ExecutionRecord) -> dict[str, Any]:
    """`ajax=cancelFlow&execid=N`: {} on success."""
    return call.backend.cancel(call.user, rec)


def fetch_exec_flow_logs(call: Call, rec: ExecutionRecord) -> dict[str, Any]:
    """`ajax=fetchExecFlowLogs&execid=N&offset=O&length=L` (synthetic log)."""
    offset = require_int(call.req, "offset")
    length = require_int(call.req, "length")
    text = call.backend.exec_log(rec)
    data = text.encode("utf-8")[offset : offset + max(length, 0)].decode("utf-8", "ignore")
    return {"data": data, "offset": offset, "length": len(data.encode("utf-8"))}


def project_echo(call: Call) -> Reply:
    """Other /executor ajax names: `project` is required, then only echoed."""
    return pretty_json({"project": require(call.req, "project")})

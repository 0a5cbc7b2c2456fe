"""URL and ajax/action dispatch: one table, `(servlet, kind, name) -> handler`.

Routing mirrors the real server (docs/azkaban-reference.md 1.1): the path picks a servlet
(`/manager`, `/index`, `/schedule`, `/executor`), a request parameter (`ajax=`, `action=`, or a
bare flag like `delete`) picks the handler. The login gate in front of it is `gate.py`.
"""

from __future__ import annotations

from azkaban_sandbox.responses import executions as ex
from azkaban_sandbox.responses import flows as fl
from azkaban_sandbox.responses import pages as pg
from azkaban_sandbox.responses import projects as pr
from azkaban_sandbox.responses import schedules as sc
from azkaban_sandbox.responses import uploads as up
from azkaban_sandbox.responses.call import Handler, manager_ajax
from azkaban_sandbox.wire import Request

SERVLETS = ("/", "/manager", "/index", "/schedule", "/executor")

# (servlet, kind, name) -> handler. kind: GET (also DELETE/HEAD), POST (url-encoded),
# MULTIPART, or ANY. name: "ajax=<x>", "action=<x>", a bare flag, "ajax=*" (unknown ajax
# name) or "" (nothing matched).
ROUTES: dict[tuple[str, str, str], Handler] = {
    # /: IndexRedirectServlet (login works here too)
    ("/", "ANY", ""): pg.index_redirect,
    ("/", "ANY", "ajax=*"): pg.index_redirect,
    ("/", "MULTIPART", ""): pg.index_redirect,
    # /manager: ProjectManagerServlet
    ("/manager", "GET", ""): pg.project_page,
    ("/manager", "GET", "delete"): pr.delete_project,
    ("/manager", "GET", "download"): pr.download,
    ("/manager", "ANY", "ajax=fetchprojectflows"): manager_ajax(fl.fetch_project_flows),
    ("/manager", "ANY", "ajax=fetchflowgraph"): manager_ajax(fl.fetch_flow_graph),
    ("/manager", "ANY", "ajax=fetchflowjobs"): manager_ajax(fl.fetch_flow_jobs),
    ("/manager", "ANY", "ajax=getProjectId"): manager_ajax(pr.get_project_id),
    ("/manager", "ANY", "ajax=getPermissions"): manager_ajax(pr.get_permissions),
    ("/manager", "ANY", "ajax=fetchFlowExecutions"): manager_ajax(ex.fetch_flow_executions),
    ("/manager", "ANY", "ajax=*"): manager_ajax(pr.unknown_manager_ajax),
    ("/manager", "POST", "action=create"): pr.create_project,
    ("/manager", "POST", ""): pg.empty_body,
    ("/manager", "MULTIPART", "ajax=upload"): up.upload,
    ("/manager", "MULTIPART", "action=upload"): up.upload_form,
    ("/manager", "MULTIPART", ""): pg.empty_body,
    # /index: ProjectServlet (GET only; handlePost is empty)
    ("/index", "GET", ""): pg.index_page,
    ("/index", "GET", "ajax=fetchallprojects"): pr.fetch_all_projects,
    ("/index", "GET", "ajax=fetchuserprojects"): pr.fetch_user_projects,
    ("/index", "GET", "ajax=*"): pg.empty_json,
    ("/index", "POST", ""): pg.empty_body,
    ("/index", "MULTIPART", ""): pg.empty_body,
    # /schedule: ScheduleServlet (removeSched only as POST action=)
    ("/schedule", "GET", ""): pg.schedule_page,
    ("/schedule", "ANY", "ajax=scheduleCronFlow"): sc.schedule_cron_flow,
    ("/schedule", "ANY", "ajax=fetchSchedule"): sc.fetch_schedule,
    ("/schedule", "ANY", "ajax=fetchSchedules"): sc.fetch_schedules,
    ("/schedule", "ANY", "ajax=loadFlow"): sc.fetch_schedules,
    ("/schedule", "ANY", "ajax=*"): pg.empty_json,
    ("/schedule", "POST", "action=removeSched"): sc.remove_schedule,
    ("/schedule", "POST", ""): pg.empty_body,
    ("/schedule", "MULTIPART", ""): pg.empty_body,
    # /executor: ExecutorServlet
    ("/executor", "GET", ""): pg.executions_page,
    ("/executor", "ANY", "ajax=executeFlow"): ex.execute_flow,
    ("/executor", "ANY", "ajax=getRunning"): ex.get_running,
    ("/executor", "ANY", "ajax=fetchexecflow"): ex.execid_ajax(ex.fetch_exec_flow),
    ("/executor", "ANY", "ajax=cancelFlow"): ex.execid_ajax(ex.cancel_flow),
    ("/executor", "ANY", "ajax=fetchExecFlowLogs"): ex.execid_ajax(ex.fetch_exec_flow_logs),
    ("/executor", "ANY", "ajax=*"): ex.project_echo,
    ("/executor", "POST", ""): pg.empty_body,
    ("/executor", "MULTIPART", ""): pg.empty_body,
}

MANAGER_GET_FLAGS = ("delete", "download")


def route_name(req: Request, kind: str) -> str:
    """The parameter that selects a handler inside a servlet."""
    if kind == "MULTIPART":
        body = req.multipart
        if body is not None and body.get("ajax") is not None:
            return f"ajax={body.get('ajax')}"
        if body is not None and body.get("action") is not None:
            return f"action={body.get('action')}"
        return ""
    if req.path == "/manager" and kind == "GET":
        # The ajax router is only reached with a `project` parameter.
        if not req.has("project"):
            return ""
        if not req.has("ajax"):
            return next((flag for flag in MANAGER_GET_FLAGS if req.has(flag)), "")
    if req.has("ajax"):
        return f"ajax={req.param('ajax')}"
    if req.has("action"):
        return f"action={req.param('action')}"
    return ""


def find_handler(req: Request, kind: str) -> Handler:
    """Table lookup: exact kind, then ANY, then the unknown-ajax and empty fallbacks."""
    name = route_name(req, kind)
    candidates = [(kind, name), ("ANY", name)]
    if name.startswith("ajax="):
        candidates += [(kind, "ajax=*"), ("ANY", "ajax=*")]
    candidates.append((kind, ""))
    for key_kind, key_name in candidates:
        handler = ROUTES.get((req.path, key_kind, key_name))
        if handler is not None:
            return handler
    return pg.empty_body

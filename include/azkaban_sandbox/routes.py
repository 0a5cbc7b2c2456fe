"""URL and ajax/action dispatch (one table) plus the login/session gate every servlet shares.

Routing mirrors the real server: the path picks a servlet (`/manager`, `/index`, `/schedule`,
`/executor`), a request parameter (`ajax=`, `action=`, or a bare flag like `delete`) picks the
handler. `gate()` reproduces `LoginAbstractAzkabanServlet.doGet/doPost`: login on any path, the
session from the cookie or the `session.id` parameter, one-shot username/password auth, and the
five reply shapes of an expired session (spec section 1.4).
"""

from __future__ import annotations

import logging

from azkaban_sandbox import errors
from azkaban_sandbox import responses as r
from azkaban_sandbox.models import Backend
from azkaban_sandbox.sessions import Session, SessionStore
from azkaban_sandbox.wire import (
    SESSION_COOKIE,
    Reply,
    Request,
    compact_json,
    jetty_error,
    login_page,
    plain_text,
    pretty_json,
    redirect,
)

logger = logging.getLogger(__name__)

SERVLETS = ("/", "/manager", "/index", "/schedule", "/executor")

# (servlet, kind, name) -> handler. kind: GET (also DELETE/HEAD), POST (url-encoded),
# MULTIPART, or ANY. name: "ajax=<x>", "action=<x>", a bare flag, "ajax=*" (unknown ajax
# name) or "" (nothing matched).
ROUTES: dict[tuple[str, str, str], r.Handler] = {
    # /: IndexRedirectServlet (login works here too)
    ("/", "ANY", ""): r.index_redirect,
    ("/", "ANY", "ajax=*"): r.index_redirect,
    ("/", "MULTIPART", ""): r.index_redirect,
    # /manager: ProjectManagerServlet
    ("/manager", "GET", ""): r.project_page,
    ("/manager", "GET", "delete"): r.delete_project,
    ("/manager", "GET", "download"): r.download,
    ("/manager", "ANY", "ajax=fetchprojectflows"): r.manager_ajax(r.fetch_project_flows),
    ("/manager", "ANY", "ajax=fetchflowgraph"): r.manager_ajax(r.fetch_flow_graph),
    ("/manager", "ANY", "ajax=fetchflowjobs"): r.manager_ajax(r.fetch_flow_jobs),
    ("/manager", "ANY", "ajax=getProjectId"): r.manager_ajax(r.get_project_id),
    ("/manager", "ANY", "ajax=getPermissions"): r.manager_ajax(r.get_permissions),
    ("/manager", "ANY", "ajax=fetchFlowExecutions"): r.manager_ajax(r.fetch_flow_executions),
    ("/manager", "ANY", "ajax=*"): r.manager_ajax(r.unknown_manager_ajax),
    ("/manager", "POST", "action=create"): r.create_project,
    ("/manager", "POST", ""): r.empty_body,
    ("/manager", "MULTIPART", "ajax=upload"): r.upload,
    ("/manager", "MULTIPART", "action=upload"): r.upload_form,
    ("/manager", "MULTIPART", ""): r.empty_body,
    # /index: ProjectServlet (GET only; handlePost is empty)
    ("/index", "GET", ""): r.index_page,
    ("/index", "GET", "ajax=fetchallprojects"): r.fetch_all_projects,
    ("/index", "GET", "ajax=fetchuserprojects"): r.fetch_user_projects,
    ("/index", "GET", "ajax=*"): r.empty_json,
    ("/index", "POST", ""): r.empty_body,
    ("/index", "MULTIPART", ""): r.empty_body,
    # /schedule: ScheduleServlet (removeSched only as POST action=)
    ("/schedule", "GET", ""): r.schedule_page,
    ("/schedule", "ANY", "ajax=scheduleCronFlow"): r.schedule_cron_flow,
    ("/schedule", "ANY", "ajax=fetchSchedule"): r.fetch_schedule,
    ("/schedule", "ANY", "ajax=fetchSchedules"): r.fetch_schedules,
    ("/schedule", "ANY", "ajax=loadFlow"): r.fetch_schedules,
    ("/schedule", "ANY", "ajax=*"): r.empty_json,
    ("/schedule", "POST", "action=removeSched"): r.remove_schedule,
    ("/schedule", "POST", ""): r.empty_body,
    ("/schedule", "MULTIPART", ""): r.empty_body,
    # /executor: ExecutorServlet
    ("/executor", "GET", ""): r.executions_page,
    ("/executor", "ANY", "ajax=executeFlow"): r.execute_flow,
    ("/executor", "ANY", "ajax=getRunning"): r.get_running,
    ("/executor", "ANY", "ajax=fetchexecflow"): r.execid_ajax(r.fetch_exec_flow),
    ("/executor", "ANY", "ajax=cancelFlow"): r.execid_ajax(r.cancel_flow),
    ("/executor", "ANY", "ajax=fetchExecFlowLogs"): r.execid_ajax(r.fetch_exec_flow_logs),
    ("/executor", "ANY", "ajax=*"): r.project_echo,
    ("/executor", "POST", ""): r.empty_body,
    ("/executor", "MULTIPART", ""): r.empty_body,
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


def find_handler(req: Request, kind: str) -> r.Handler:
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
    return r.empty_body


def session_id(req: Request) -> str | None:
    """`getSessionFromRequest`: the cookie wins (even if stale), else `session.id` param."""
    cookie = req.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie
    return req.param("session.id")


def _no_session_get(req: Request) -> Reply:
    if req.has("ajax"):
        return pretty_json({"error": "session"})
    return login_page()


def _no_session_post(req: Request) -> Reply:
    if req.headers.get("X-Requested-With", "") == "XMLHttpRequest":
        return compact_json(
            {"status": "error", "message": errors.INVALID_SESSION, "action": "login"}
        )
    return login_page()


def expired_reply(req: Request) -> Reply:
    """What this request shape gets when its session is missing or expired (spec 1.4)."""
    if req.method == "POST" and req.is_multipart:
        return plain_text(errors.LOGIN_NEED_CREDENTIALS)
    if req.method == "POST":
        return _no_session_post(req)
    return _no_session_get(req)


def is_login(req: Request) -> bool:
    """A url-encoded `action=login` POST (excluded from session-expiry faults)."""
    return req.method == "POST" and not req.is_multipart and req.param("action") == "login"


class Router:
    """Dispatches parsed requests to handlers behind the login gate."""

    def __init__(self, backend: Backend, sessions: SessionStore) -> None:
        self.backend = backend
        self.sessions = sessions

    def _one_shot(self, req: Request, username: str | None, password: str | None) -> Session:
        user = self.backend.users.authenticate(username, password)
        return self.sessions.one_shot(user, req.client_ip)

    def _call(self, req: Request, kind: str, session: Session) -> Reply:
        return find_handler(req, kind)(r.Call(self.backend, req, session))

    def _multipart(self, req: Request) -> Reply:
        session = self.sessions.get(session_id(req))
        body = req.multipart
        if session is None and body is not None:
            session = self.sessions.get(body.get("session.id"))
            has_credentials = body.get("username") is not None and body.get("password") is not None
            if session is None and has_credentials:
                try:
                    session = self._one_shot(req, body.get("username"), body.get("password"))
                except errors.AuthError as exc:
                    return plain_text(errors.LOGIN_ERROR_PREFIX + exc.message)
        if session is None:
            return plain_text(errors.LOGIN_NEED_CREDENTIALS)
        return self._call(req, "MULTIPART", session)

    def _post(self, req: Request) -> Reply:
        if "password=" in req.query_string:
            return plain_text(errors.LOGIN_PASSWORD_IN_QUERY)
        if req.is_multipart:
            return self._multipart(req)
        if req.param("action") == "login":
            return r.login(self.backend, self.sessions, req)
        session = self.sessions.get(session_id(req))
        if session is None and req.has("username") and req.has("password"):
            try:
                session = self._one_shot(req, req.param("username"), req.param("password"))
            except errors.AuthError:
                # The servlet writes "Login error: ..." and then calls handlePost with a null
                # session, which throws: Jetty replaces the body with its 500 page.
                raise errors.ServerCrash("java.lang.NullPointerException") from None
        if session is None:
            return _no_session_post(req)
        return self._call(req, "POST", session)

    def _get(self, req: Request) -> Reply:
        if req.has("logout"):
            self.sessions.remove(session_id(req))
            return redirect("/")
        session = self.sessions.get(session_id(req))
        if session is None:
            return _no_session_get(req)
        return self._call(req, "GET", session)

    def dispatch(self, req: Request) -> Reply:
        """Answer one Azkaban request (not the `/_sandbox/` control API)."""
        if req.path not in SERVLETS:
            return jetty_error(404, "NOT_FOUND", req.path)
        try:
            if req.method == "POST":
                return self._post(req)
            if req.method in ("GET", "HEAD", "DELETE"):
                return self._get(req)
            return jetty_error(405, "HTTP method not supported", req.path)
        except errors.MissingParameter as exc:
            return jetty_error(500, str(exc), req.path, f"javax.servlet.ServletException: {exc}")
        except errors.ServerCrash as exc:
            cause = exc.java_exception + (f": {exc.message}" if exc.message else "")
            return jetty_error(500, exc.message or exc.java_exception, req.path, cause)

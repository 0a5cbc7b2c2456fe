"""Login (`handleAjaxLoginAction`) and the HTML pages the servlets render without `ajax`."""

from __future__ import annotations

from azkaban_sandbox import errors
from azkaban_sandbox.responses.call import Call
from azkaban_sandbox.sessions import SessionStore
from azkaban_sandbox.users import UserManager
from azkaban_sandbox.wire import (
    FAILURE_COOKIE,
    SESSION_COOKIE,
    SUCCESS_COOKIE,
    Reply,
    Request,
    empty,
    html_page,
    pretty_json,
    project_page_html,
    redirect,
    set_cookie,
)


def login(users: UserManager, sessions: SessionStore, req: Request) -> Reply:
    """`POST action=login`: pretty JSON with session.id plus the session cookie."""
    if not (req.has("username") and req.has("password")):
        return pretty_json({"error": errors.INCORRECT_LOGIN})
    try:
        user = users.authenticate(req.param("username"), req.param("password"))
    except errors.AuthError as exc:
        return pretty_json({"error": f"{errors.INCORRECT_LOGIN} {exc.message}"})
    session = sessions.create(user, req.client_ip)
    reply = pretty_json({"status": "success", "session.id": session.session_id})
    reply.headers.append(set_cookie(SESSION_COOKIE, session.session_id))
    return reply


def index_redirect(call: Call) -> Reply:
    """`/` (IndexRedirectServlet): redirect to the default servlet path `/index`."""
    return redirect("/index")


def project_page(call: Call) -> Reply:
    """`GET /manager?project=P` (the project page); without `project`: "No project set."."""
    name = call.req.param("project")
    if name is None:
        return html_page("Azkaban", "No project set.")
    project = call.backend.projects.get(name)
    if project is None:
        return html_page("Azkaban", errors.MANAGER_NO_PROJECT.format(name=name))
    return project_page_html(project.name, project.description, call.backend.flows.ids(project))


def index_page(call: Call) -> Reply:
    """`GET /index`: the project list page, showing and clearing message cookies."""
    messages = [call.req.cookies.get(c, "") for c in (SUCCESS_COOKIE, FAILURE_COOKIE)]
    reply = html_page("Azkaban Projects", " ".join(m for m in messages if m))
    for cookie in (SUCCESS_COOKIE, FAILURE_COOKIE):
        if cookie in call.req.cookies:
            reply.headers.append(("Set-Cookie", f"{cookie}=; Path=/; Max-Age=0"))
    return reply


def schedule_page(call: Call) -> Reply:
    """`GET /schedule` without ajax: the schedule page."""
    return html_page("Scheduled Flows")


def executions_page(call: Call) -> Reply:
    """`GET /executor` without ajax."""
    return html_page("Executions")


def empty_json(call: Call) -> Reply:
    """Routed but unknown ajax names that answer `{}`."""
    return pretty_json({})


def empty_body(call: Call) -> Reply:
    """Handlers that write nothing (e.g. POST /index)."""
    return empty()

"""The login gate every servlet shares (`LoginAbstractAzkabanServlet.doGet/doPost`).

Login works on any servlet path; the session comes from the cookie (a stale cookie wins) or the
`session.id` parameter (or multipart field); `username`/`password` with a request authenticate
it alone (a one-shot session, never cached); a missing or expired session gets one of five reply
shapes depending on the request (docs/azkaban-reference.md 1.3, 1.4).
"""

from __future__ import annotations

from azkaban_sandbox import errors
from azkaban_sandbox.models import Backend
from azkaban_sandbox.responses.call import Call
from azkaban_sandbox.responses.pages import login
from azkaban_sandbox.routes import SERVLETS, find_handler
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
    """What this request shape gets when its session is missing or expired (reference 1.4)."""
    if req.method == "POST" and req.is_multipart:
        return plain_text(errors.LOGIN_NEED_CREDENTIALS)
    if req.method == "POST":
        return _no_session_post(req)
    return _no_session_get(req)


def is_login(req: Request) -> bool:
    """A url-encoded `action=login` POST (excluded from session-expiry faults)."""
    return req.method == "POST" and not req.is_multipart and req.param("action") == "login"


class LoginGate:
    """Authenticates requests, then dispatches them through the route table."""

    def __init__(self, backend: Backend, sessions: SessionStore) -> None:
        self.backend = backend
        self.sessions = sessions

    def _one_shot(self, req: Request, username: str | None, password: str | None) -> Session:
        user = self.backend.users.authenticate(username, password)
        return self.sessions.one_shot(user, req.client_ip)

    def _call(self, req: Request, kind: str, session: Session) -> Reply:
        return find_handler(req, kind)(Call(self.backend, req, session))

    def _multipart_session(self, req: Request) -> Session | None:
        session = self.sessions.get(session_id(req))
        body = req.multipart
        if session is not None or body is None:
            return session
        session = self.sessions.get(body.get("session.id"))
        username, password = body.get("username"), body.get("password")
        if session is None and username is not None and password is not None:
            session = self._one_shot(req, username, password)
        return session

    def _multipart(self, req: Request) -> Reply:
        try:
            session = self._multipart_session(req)
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
            return login(self.backend.users, self.sessions, req)
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

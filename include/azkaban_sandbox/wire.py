"""HTTP-level records and reply shapes of the emulated Jetty 6 / Azkaban web server.

`Request` is what the handler read off the socket (query, url-encoded form, multipart body,
cookies); `Reply` is what goes back. The shape helpers reproduce the real server's encodings:
Jackson 1.x pretty JSON (`"key" : value`), compact JSON without a Content-Type
(`createJsonResponse`), plain-text login errors, the login page, Jetty's 500 page, redirects
with message cookies.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from azkaban_sandbox.multipart import MultipartBody

SESSION_COOKIE = "azkaban.browser.session.id"
SUCCESS_COOKIE = "azkaban.success.message"
FAILURE_COOKIE = "azkaban.failure.message"
WARN_COOKIE = "azkaban.warn.message"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    query_string: str
    headers: Message
    client_ip: str = "127.0.0.1"
    form: dict[str, list[str]] = field(default_factory=dict)
    multipart: MultipartBody | None = None
    body: bytes = b""
    query: dict[str, list[str]] = field(init=False)
    cookies: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.query = parse_qs(self.query_string, keep_blank_values=True)
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except CookieError:  # a malformed cookie header is ignored, like Jetty does
            jar = SimpleCookie()
        self.cookies = {k: m.value for k, m in jar.items()}

    @classmethod
    def make(
        cls,
        method: str,
        path: str,
        query: str = "",
        *,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> Request:
        """A request as the HTTP server reads it, built by hand (url-encoded `form` fields)."""
        message = Message()
        for name, value in (headers or {}).items():
            message[name] = value
        if form is not None and "Content-Type" not in message:
            message["Content-Type"] = "application/x-www-form-urlencoded"
        req = cls(method, path, query, message)
        req.form = {key: [value] for key, value in (form or {}).items()}
        return req

    def param(self, name: str) -> str | None:
        """`req.getParameter`: query string first, then the url-encoded body (not multipart)."""
        for source in (self.query, self.form):
            values = source.get(name)
            if values:
                return values[0]
        return None

    def has(self, name: str) -> bool:
        """`hasParam`: present, even if empty."""
        return name in self.query or name in self.form

    def prefixed(self, prefix: str) -> dict[str, str]:
        """Parameters named `prefix[key]` (e.g. flowOverride[k]) as {key: value}."""
        out: dict[str, str] = {}
        for source in (self.form, self.query):
            for name, values in source.items():
                if name.startswith(prefix + "[") and name.endswith("]") and values:
                    out[name[len(prefix) + 1 : -1]] = values[0]
        return out

    @property
    def is_multipart(self) -> bool:
        """`ServletFileUpload.isMultipartContent`: POST with a multipart/ content type."""
        return self.headers.get("Content-Type", "").lower().startswith("multipart/")

    @property
    def ajax(self) -> str | None:
        """The ajax/action name, for logs and stats (multipart fields included)."""
        name = self.param("ajax") or self.param("action")
        if name is None and self.multipart is not None:
            name = self.multipart.get("ajax") or self.multipart.get("action")
        return name

    def json(self) -> Any:
        """Body as JSON (test-control API); {} when empty."""
        return json.loads(self.body.decode("utf-8")) if self.body.strip() else {}


@dataclass
class Reply:
    """One HTTP reply; `drop` closes the connection without answering (fault injection)."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False


_SCALAR = json.JSONEncoder(ensure_ascii=False).encode
_KEY = json.encoder.encode_basestring
_PLAIN = (str, int, float, bool, type(None))


def _jackson(value: Any, level: int) -> str:
    """Jackson 1.x DefaultPrettyPrinter: 2-space objects, arrays inline `[ a, b ]`."""
    if isinstance(value, dict):
        if not value:
            return "{ }"
        pad = "\n" + "  " * (level + 1)
        items = [
            pad
            + _KEY(str(k))
            + " : "
            + (_SCALAR(v) if type(v) in _PLAIN else _jackson(v, level + 1))
            for k, v in value.items()
        ]
        return "{" + ",".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[ ]"
        return "[ " + ", ".join([_jackson(v, level) for v in value]) + " ]"
    return _SCALAR(value)


def pretty_json(value: Any, status: int = 200) -> Reply:
    """`AbstractAzkabanServlet.writeJSON`: application/json, always pretty-printed."""
    return Reply(status, _jackson(value, 0).encode("utf-8"), JSON_TYPE)


def compact_json(value: dict[str, Any]) -> Reply:
    """`createJsonResponse`: compact JSON written raw, no Content-Type header."""
    return Reply(200, json.dumps(value, separators=(",", ":")).encode("utf-8"), None)


def plain_text(text: str, status: int = 200) -> Reply:
    """`writeResponse`: raw text through getWriter(), no Content-Type header."""
    return Reply(status, text.encode("utf-8"), None)


def empty() -> Reply:
    """An empty 200 body (handlers that write nothing)."""
    return Reply(200, b"", None)


# login.vm as the server renders it. azkaban-cli (PyPI) detects an expired session by a reply
# line equal to LOGIN_SCRIPT_LINE, two leading spaces included, so that line is kept exactly.
LOGIN_SCRIPT_LINE = '  <script type="text/javascript" src="/js/azkaban/view/login.js"></script>'
LOGIN_PAGE = f"""<!DOCTYPE html>
<html lang="en">
  <head>
  <meta charset="utf-8">
  <title>Azkaban Web Client</title>
  <link rel="stylesheet" type="text/css" href="/css/bootstrap.min.css"/>
  <script type="text/javascript" src="/js/jquery/jquery-1.9.1.js"></script>
{LOGIN_SCRIPT_LINE}
  <script type="text/javascript">
    var contextURL = "";
  </script>
  </head>
  <body>
    <div class="container-full">
      <div class="login">
        <div class="alert alert-danger" id="error-msg"></div>
        <div class="well">
          <form id="login-form" role="form">
            <fieldset>
              <legend>Login</legend>
              <input type="text" class="form-control" name="username" id="username" placeholder="Username">
              <input type="password" class="form-control" name="password" id="password" placeholder="Password">
              <button type="button" class="btn btn-primary btn-lg btn-block" id="login-submit">Login</button>
            </fieldset>
          </form>
        </div><!-- /.well -->
      </div><!-- /.login -->
    </div><!-- /container -->
  </body>
</html>
"""  # noqa: E501


def login_page() -> Reply:
    """The HTML login page (what an unauthenticated browser-style request gets)."""
    return Reply(200, LOGIN_PAGE.encode("utf-8"), HTML_TYPE)


def html_page(title: str, message: str = "") -> Reply:
    """A minimal HTML page standing in for the Velocity pages (project page, index)."""
    text = (
        f"<!DOCTYPE html>\n<html><head><title>{html.escape(title)}</title></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n"
        f'<div class="messaging">{html.escape(message, quote=False)}</div>\n</body></html>\n'
    )
    return Reply(200, text.encode("utf-8"), HTML_TYPE)


def project_page_html(name: str, description: str, flows: list[str]) -> Reply:
    """The project page (projectpage.vm): the description in its own element, as the real
    server renders it (``<p class="editable" id="project-description">``), and the flow list
    (flow names appear on the page too, so a client must read the description element)."""
    items = "".join(f"<li>{html.escape(flow)}</li>" for flow in sorted(flows))
    text = (
        f"<!DOCTYPE html>\n<html><head><title>Project {html.escape(name)}</title></head>\n"
        f"<body><h1>Project <small>{html.escape(name)}</small></h1>\n"
        f'<p class="editable" id="project-description">{html.escape(description)}</p>\n'
        f'<ul id="flow-list">{items}</ul>\n</body></html>\n'
    )
    return Reply(200, text.encode("utf-8"), HTML_TYPE)


def jetty_error(status: int, reason: str, path: str, cause: str = "") -> Reply:
    """Jetty 6's default error page (e.g. an uncaught ServletException -> 500)."""
    reason_html = html.escape(reason, quote=False)
    caused = f"<h3>Caused by:</h3><pre>{html.escape(cause, quote=False)}</pre>" if cause else ""
    text = (
        "<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"/>\n'
        f"<title>Error {status} {reason_html}</title>\n</head>\n"
        f"<body><h2>HTTP ERROR {status}</h2>\n"
        f"<p>Problem accessing {html.escape(path, quote=False)}. Reason:\n"
        f"<pre>    {reason_html}</pre></p>"
        f"{caused}\n<hr /><i><small>Powered by Jetty://</small></i>\n</body>\n</html>\n"
    )
    return Reply(status, text.encode("iso-8859-1", "replace"), "text/html; charset=iso-8859-1")


def set_cookie(name: str, value: str, path: str = "/") -> tuple[str, str]:
    """A Set-Cookie header; values with spaces/quotes are quoted as Jetty 6 does."""
    jar: SimpleCookie = SimpleCookie()
    jar[name] = value
    jar[name]["path"] = path
    return ("Set-Cookie", jar[name].OutputString())


def redirect(location: str, cookies: list[tuple[str, str]] | None = None) -> Reply:
    """302 with Location (and message cookies)."""
    headers = [("Location", location)]
    headers += [set_cookie(name, value) for name, value in cookies or []]
    return Reply(302, b"", None, headers)

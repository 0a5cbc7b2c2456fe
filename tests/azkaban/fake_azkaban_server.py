"""A scripted Azkaban-like HTTP server on a real loopback socket (fakes only at the HTTP
boundary), for transport faults the sandbox cannot produce deterministically.

It implements login and the five session-expiry shapes of spec 1.4 like the real server;
every other reply comes from the test's script. Every request is recorded as received
(headers, raw body, whether it was chunked).
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, RetryPolicy

PASSWORD = "s3cret-pa55word"
LOGIN_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Azkaban Web Client</title></head><body>"
    '<form><input name="username"/><input type="password" name="password"/></form>'
    "</body></html>"
)


@dataclass
class Recorded:
    """One request as the fake server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    chunked: bool

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"))

    @property
    def params(self) -> dict[str, str]:
        merged = {k: v[0] for k, v in self.query.items()}
        if "urlencoded" in self.headers.get("content-type", ""):
            merged.update({k: v[0] for k, v in self.form.items()})
        return merged


@dataclass
class Reply:
    """A scripted answer: status, body, headers; `drop` closes without answering,
    `delay` sleeps first (to provoke read timeouts)."""

    status: int = 200
    body: str | bytes = "{}"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0

    @classmethod
    def json(cls, payload: object, status: int = 200, content_type: bool = True) -> Reply:
        headers = {"Content-Type": "application/json"} if content_type else {}
        return cls(status=status, body=json.dumps(payload, indent=2), headers=headers)


Script = Callable[[Recorded], Reply]


class FakeAzkaban:
    """Threaded HTTP/1.1 server on 127.0.0.1:0 with Azkaban's login/session behaviour."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.sessions: set[str] = set()
        self.logins = 0
        self.script: Script = lambda req: Reply(404, "no script")
        self.ajax_header_ignored = False  # True: POSTs get the login page (shape 4)
        # Set to a status to answer EVERY request (login included) with a page that echoes
        # the request back, headers and body, as a proxy error page or debug echo would.
        self.echo_status: int | None = None
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def expire_all(self) -> None:
        with self._lock:
            self.sessions.clear()

    def calls(self, name: str) -> list[Recorded]:
        """Recorded requests whose ``ajax`` or ``action`` parameter equals `name`."""
        out = []
        for req in self.requests:
            params = req.params
            if name in (params.get("ajax"), params.get("action")) or (
                name == "upload" and b'name="ajax"\r\n\r\nupload' in req.body
            ):
                out.append(req)
        return out

    # --- request handling -------------------------------------------------------------

    @staticmethod
    def _read_body(handler: BaseHTTPRequestHandler) -> tuple[bytes, bool]:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(handler.rfile.readline().strip(), 16)
                if size == 0:
                    handler.rfile.readline()
                    return bytes(data), True
                data += handler.rfile.read(size)
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length", "0"))
        return handler.rfile.read(length), False

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body, chunked = self._read_body(handler)
        parts = urlsplit(handler.path)
        req = Recorded(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            chunked=chunked,
        )
        with self._lock:
            self.requests.append(req)
        reply = self._echo(req) or self._login(req) or self._session_check(req) or self.script(req)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            handler.close_connection = True
            return
        data = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        handler.send_response(reply.status)
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _echo(self, req: Recorded) -> Reply | None:
        if self.echo_status is None:
            return None
        page = (
            f"<html><body><h1>Bad gateway</h1><pre>{req.method} {req.path} "
            f"query={req.query} headers={req.headers} body={req.body.decode()}</pre></body></html>"
        )
        return Reply(self.echo_status, page, {"Content-Type": "text/html"})

    def _login(self, req: Recorded) -> Reply | None:
        if req.method != "POST" or req.params.get("action") != "login":
            return None
        params = req.params
        if params.get("username") != "azkaban" or params.get("password") != PASSWORD:
            return Reply.json({"error": "Incorrect Login. Username/Password not found."})
        session_id = str(uuid.uuid4())
        with self._lock:
            self.sessions.add(session_id)
            self.logins += 1
        return Reply.json({"status": "success", "session.id": session_id})

    def _session_check(self, req: Recorded) -> Reply | None:
        cookie = req.headers.get("cookie", "")
        session_id = cookie.partition("azkaban.browser.session.id=")[2].split(";")[0]
        if session_id and session_id in self.sessions:
            return None
        if req.method == "GET":
            if "ajax" in req.params:
                return Reply.json({"error": "session"})
            return Reply(200, LOGIN_PAGE, {"Content-Type": "text/html"})
        if req.headers.get("content-type", "").startswith("multipart/"):
            return Reply(200, "Login error. Need username and password")
        if req.headers.get("x-requested-with") == "XMLHttpRequest" and not (
            self.ajax_header_ignored
        ):
            return Reply(
                200,
                '{"status":"error","message":"Invalid Session. Need to re-login","action":"login"}',
            )
        return Reply(200, LOGIN_PAGE, {"Content-Type": "text/html"})


#: The outage window of test clients: outages (no connection, 502/503/504) are ridden out
#: for this long instead of counting attempts.
OUTAGE_WINDOW = 0.5


def make_client(
    url: str, *, attempts: int = 4, timeout: float = 5.0, password: str = PASSWORD
) -> AzkabanClient:
    settings = ConnectionSettings(
        url=url, user="azkaban", password=password, timeout=timeout, connect_timeout=2.0
    )
    policy = RetryPolicy(attempts=attempts, outage_seconds=OUTAGE_WINDOW).with_waits(0.02)
    return AzkabanClient(settings, policy)


def small_zip(jobs: dict[str, str] | None = None) -> bytes:
    """An in-memory Flow 1.0 project zip: one ``.job`` file per entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (jobs or {"flow_000001": "type=command\ncommand=echo hi\n"}).items():
            archive.writestr(f"{name}.job", text)
    return buffer.getvalue()

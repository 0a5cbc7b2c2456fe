"""`SandboxServer`: the sandbox app behind a real HTTP socket.

A `ThreadingHTTPServer` (daemon threads, deep accept queue, TCP_NODELAY) in a background
thread. Its handler only does HTTP: it reads the request (url-encoded form, streaming
multipart, chunked bodies) into a `Request`, lets the socket-free `SandboxApp` answer it and
writes the `Reply` (or drops the connection). Everything else lives in the app.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from azkaban_sandbox.app import SandboxApp
from azkaban_sandbox.bodies import BodyError, ChunkedReader, LimitedReader, read_all
from azkaban_sandbox.config import SandboxConfig
from azkaban_sandbox.control import SandboxControls
from azkaban_sandbox.multipart import MultipartBody, MultipartError, parse_multipart
from azkaban_sandbox.wire import Reply, Request, jetty_error

logger = logging.getLogger("azkaban_sandbox")

MAX_FORM_BYTES = 10 * 1024 * 1024  # Jetty maxFormContentSize (Constants.MAX_FORM_CONTENT_SIZE)

__all__ = ["SandboxConfig", "SandboxServer"]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], app: SandboxApp, queue: int) -> None:
        self.request_queue_size = queue
        self.app = app
        super().__init__(addr, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-reply (timeouts, dropped-connection tests) is not an error.
        logger.debug("connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Jetty(6.1.26)"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle plus delayed ACKs
        # would add ~40 ms to every keep-alive reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.client_address[0], *args)

    def _stream(self) -> LimitedReader | ChunkedReader:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return ChunkedReader(self.rfile)
        return LimitedReader(self.rfile, int(self.headers.get("Content-Length") or 0))

    def _read_request(self) -> Request:
        split = urlsplit(self.path)
        req = Request(
            self.command,
            unquote(split.path) or "/",
            split.query,
            self.headers,
            self.client_address[0],
        )
        stream = self._stream()
        if self.command == "POST" and req.is_multipart:
            boundary = self.headers.get_param("boundary")
            if not boundary:
                # No boundary: nothing in the body is readable, so no session field either
                # (azkaban issue #509: "Login error. Need username and password").
                read_all(stream, 1 << 40)
                req.multipart = MultipartBody()
                return req
            spool = self.server.app.state.spool_dir
            req.multipart = parse_multipart(stream, str(boundary), spool)
            return req
        req.body = read_all(stream, MAX_FORM_BYTES)
        ctype = self.headers.get("Content-Type", "")
        if ctype.lower().startswith("application/x-www-form-urlencoded"):
            req.form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        return req

    def _handle(self) -> None:
        try:
            req = self._read_request()
        except (BodyError, MultipartError, ValueError) as exc:
            self.close_connection = True
            self._write(jetty_error(500, str(exc), self.path))
            return
        try:
            reply = self.server.app.handle(req)
        except Exception:
            logger.exception("sandbox failed on %s %s", self.command, req.path)
            reply = jetty_error(500, "Server Error", req.path, "java.lang.RuntimeException")
        finally:
            if req.multipart is not None:
                req.multipart.discard()
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_DELETE = _handle
    do_HEAD = _handle


class SandboxServer:
    """An Azkaban-compatible web server in a background thread.

    `start()` (returns once bound), `.url`, `.port`, `stop()`; or use it as a context manager.
    `.app` answers the requests; `.controls` are the test controls (also over HTTP under
    `/_sandbox/`).
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.app = SandboxApp(self.config)
        self.controls: SandboxControls = self.app.controls
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def data_dir(self) -> Path:
        """Where the sandbox keeps its database, zips and spooled uploads."""
        return self.app.state.data_dir

    def stats(self) -> dict[str, Any]:
        """The counters of `controls.stats()` (kept here: many tests read them)."""
        return self.controls.stats()

    # --- lifecycle ---
    def start(self) -> SandboxServer:
        """Bind and serve in a daemon thread; returns once the socket is listening."""
        self._httpd = _HTTPServer(
            (self.config.host, self.config.port), self.app, self.config.request_queue_size
        )
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="azkaban-sandbox",
            daemon=True,
        )
        self._thread.start()
        user = next(iter(self.config.users), "azkaban")
        logger.info("Azkaban sandbox listening on %s (user %s)", self.url, user)
        return self

    def stop(self) -> None:
        """Stop serving, close the database, remove a temp data dir (idempotent)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.app.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (useful with `port=0`)."""
        if self._httpd is None:
            raise RuntimeError("sandbox is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8081."""
        return f"http://{self.config.host}:{self.port}"

    def serve_forever(self) -> None:
        """Start and block until SIGINT/SIGTERM (the CLI entry)."""
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()

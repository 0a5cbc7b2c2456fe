"""`SandboxServer`: the sandbox app behind a real HTTP socket.

A `ThreadingHTTPServer` (daemon threads, deep accept queue, TCP_NODELAY) in a background
thread. Its handler only does HTTP: it reads the request (url-encoded form, streaming
multipart, chunked bodies) into a `Request`, lets the socket-free `SandboxApp` answer it and
writes the `Reply` (or drops the connection). Everything else lives in the app.

Like Jetty's request-thread pool (`jetty.maxThreads`, 20 on Azkaban), `RequestThreads` lets at
most `max_threads` requests (or, with `thread_per="connection"`, connections) be served at
once; the others wait, first come first served, after their headers are read and before their
body is, so a client whose read timeout is shorter than its wait times out while the server
will still serve the request later. Control calls (`/_sandbox/`) never wait. Idle keep-alive
connections are closed after `max_idle_seconds` (Jetty's `maxIdleTime`). docs/sandbox.md,
"Request threads", says why.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from azkaban_sandbox.app import SandboxApp
from azkaban_sandbox.bodies import BodyError, ChunkedReader, LimitedReader, read_all
from azkaban_sandbox.config import SandboxConfig
from azkaban_sandbox.control import PREFIX, SandboxControls
from azkaban_sandbox.multipart import MultipartBody, MultipartError, parse_multipart
from azkaban_sandbox.wire import Reply, Request, jetty_error

logger = logging.getLogger("azkaban_sandbox")

MAX_FORM_BYTES = 10 * 1024 * 1024  # Jetty maxFormContentSize (Constants.MAX_FORM_CONTENT_SIZE)

__all__ = ["RequestThreads", "SandboxConfig", "SandboxServer"]


class _Turn:
    """One place in the queue: `granted` once a thread was handed over."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.granted = False


class RequestThreads:
    """Jetty's request-thread pool as its clients see it; thread-safe.

    At most `size` holders at once (0: no limit); the others wait in one FIFO queue without a
    bound (Jetty 6's `QueuedThreadPool` grows its job queue; its `maxQueued` is a statistic).
    A released thread goes straight to the first waiter. `per` says what holds one ("request"
    or "connection"; the handler acts on it). Counts holders and waiters, now and at most."""

    def __init__(self, size: int, per: str) -> None:
        self.size = size
        self.per = per
        self._lock = threading.Lock()
        self._queue: deque[_Turn] = deque()
        self._busy = 0
        self._busy_max = 0
        self._queued_max = 0
        self._queued_total = 0
        self._wait_max = 0.0
        self._closed = False

    def acquire(self) -> bool:
        """Take a thread, waiting for one when all are busy; False once `close()`d."""
        with self._lock:
            if self._closed:
                return False
            if not self.size or self._busy < self.size:
                self._busy += 1
                self._busy_max = max(self._busy_max, self._busy)
                return True
            turn = _Turn()
            self._queue.append(turn)
            self._queued_total += 1
            self._queued_max = max(self._queued_max, len(self._queue))
        started = time.monotonic()
        turn.event.wait()
        with self._lock:
            self._wait_max = max(self._wait_max, time.monotonic() - started)
        return turn.granted

    def release(self) -> None:
        """Give a thread back: to the first waiter, else to the pool."""
        with self._lock:
            if self._queue:
                turn = self._queue.popleft()
                turn.granted = True
                turn.event.set()
            else:
                self._busy -= 1

    def close(self) -> None:
        """Refuse new holders and wake every waiter empty-handed (the server is stopping)."""
        with self._lock:
            self._closed = True
            while self._queue:
                self._queue.popleft().event.set()

    def stats(self) -> dict[str, Any]:
        """`/_sandbox/stats` `threads`: the cap, holders and waiters now and at most."""
        with self._lock:
            return {
                "max_threads": self.size,
                "per": self.per,
                "busy": self._busy,
                "busy_max": self._busy_max,
                "queued": len(self._queue),
                "queued_max": self._queued_max,
                "queued_total": self._queued_total,
                "queue_wait_max_seconds": round(self._wait_max, 3),
            }

    def reset(self) -> None:
        """Start the maxima and the queued total afresh (holders and waiters stay counted)."""
        with self._lock:
            self._busy_max = self._busy
            self._queued_max = len(self._queue)
            self._queued_total = 0
            self._wait_max = 0.0


def _path(target: str) -> str:
    """The decoded path of a request target (what the app routes on)."""
    return unquote(urlsplit(target).path) or "/"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], app: SandboxApp, threads: RequestThreads) -> None:
        self.request_queue_size = app.config.request_queue_size
        self.idle_seconds = app.config.max_idle_seconds
        self.app = app
        self.threads = threads
        super().__init__(addr, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-reply (timeouts, dropped-connection tests) is not an error.
        logger.debug("connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Jetty(6.1.26)"
    sys_version = ""
    server: _HTTPServer
    _holds_thread = False

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle plus delayed ACKs
        # would add ~40 ms to every keep-alive reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.server.idle_seconds:
            # An idle keep-alive connection (and a stalled body) times out, as in Jetty.
            self.connection.settimeout(self.server.idle_seconds)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._give_thread()

    def _take_thread(self) -> bool:
        """Hold a request thread (waiting in the queue if need be) unless this connection
        holds one already or this is a control call; False when the server is stopping."""
        if self._holds_thread or _path(self.path).startswith(PREFIX):
            return True
        self._holds_thread = self.server.threads.acquire()
        return self._holds_thread

    def _give_thread(self) -> None:
        if self._holds_thread:
            self._holds_thread = False
            self.server.threads.release()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.client_address[0], *args)

    def _stream(self) -> LimitedReader | ChunkedReader:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return ChunkedReader(self.rfile)
        return LimitedReader(self.rfile, int(self.headers.get("Content-Length") or 0))

    def _read_request(self) -> Request:
        req = Request(
            self.command,
            _path(self.path),
            urlsplit(self.path).query,
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
        if not self._take_thread():
            self.close_connection = True
            return
        try:
            self._serve()
        finally:
            if self.server.threads.per == "request":
                self._give_thread()

    def _serve(self) -> None:
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
    `/_sandbox/`); `.threads` is the request-thread pool (`stats()["threads"]`).
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.app = SandboxApp(self.config)
        self.controls: SandboxControls = self.app.controls
        self.threads = RequestThreads(self.config.max_threads, self.config.thread_per)
        self.controls.add_counters("threads", self.threads)
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
        self._httpd = _HTTPServer((self.config.host, self.config.port), self.app, self.threads)
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
        """Stop serving, close the database, remove a temp data dir (idempotent); requests
        waiting for a thread get their connection closed."""
        self.threads.close()
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

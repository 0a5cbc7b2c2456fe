"""The sandbox HTTP server: `SandboxConfig`, `SandboxServer` and the CLI entry `sandbox_main`.

A `ThreadingHTTPServer` (daemon threads, deep accept queue) in a background thread. Each request
is read (url-encoded form, streaming multipart, chunked bodies), passed through fault injection,
then to the router (Azkaban endpoints) or the `/_sandbox/` control API.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from azkaban_sandbox.bodies import BodyError, ChunkedReader, LimitedReader, read_all
from azkaban_sandbox.clock import SandboxClock
from azkaban_sandbox.control import PREFIX, handle_control
from azkaban_sandbox.costs import CostModel
from azkaban_sandbox.faults import FAULT_KINDS, FaultInjector, FaultSettings
from azkaban_sandbox.models import Backend
from azkaban_sandbox.multipart import MultipartBody, MultipartError, parse_multipart
from azkaban_sandbox.routes import Router, expired_reply, is_login
from azkaban_sandbox.sessions import SessionStore
from azkaban_sandbox.store import Store
from azkaban_sandbox.users import UserManager
from azkaban_sandbox.wire import Reply, Request, jetty_error

logger = logging.getLogger("azkaban_sandbox")

MAX_FORM_BYTES = 10 * 1024 * 1024  # Jetty maxFormContentSize (Constants.MAX_FORM_CONTENT_SIZE)
FAULT_PAGES = {"http500": 500, "http502": 502, "http503": 503}
DEFAULT_REJECT_MESSAGE = "Upload rejected by the sandbox (test control)."


@dataclass
class SandboxConfig:
    """Sandbox settings. `port=0` picks a free port; `data_dir=None` uses a temp dir."""

    host: str = "127.0.0.1"
    port: int = 8081
    data_dir: Path | str | None = None
    users: dict[str, str] = field(default_factory=lambda: {"azkaban": "azkaban"})
    user_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    session_ttl: float = 36_000.0
    max_sessions: int = 10_000
    execution_step_seconds: float = 2.0
    fault_rate: float = 0.0
    fault_seed: int = 0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 2.0
    cost_base_ms: float = 0.0
    cost_per_flow_ms: float = 0.0
    cost_per_mib_ms: float = 0.0
    request_queue_size: int = 256


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], sandbox: SandboxServer, queue: int) -> None:
        self.request_queue_size = queue
        self.sandbox = sandbox
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
        ctype = self.headers.get("Content-Type", "")
        if self.command == "POST" and req.is_multipart:
            boundary = self.headers.get_param("boundary")
            if not boundary:
                # No boundary: nothing in the body is readable, so no session field either
                # (azkaban issue #509: "Login error. Need username and password").
                read_all(stream, 1 << 40)
                req.multipart = MultipartBody()
                return req
            req.multipart = parse_multipart(stream, str(boundary), self.server.sandbox.spool_dir)
            return req
        req.body = read_all(stream, MAX_FORM_BYTES)
        if ctype.lower().startswith("application/x-www-form-urlencoded"):
            req.form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        return req

    def _handle(self) -> None:
        sandbox = self.server.sandbox
        try:
            req = self._read_request()
        except (BodyError, MultipartError, ValueError) as exc:
            self.close_connection = True
            self._write(jetty_error(500, str(exc), self.path))
            return
        try:
            reply = sandbox.handle(req)
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

    Use `start()` (returns once bound), `.url`, `.port`, `stop()`; or as a context manager.
    The test-control API is available both over HTTP (`/_sandbox/...`) and as methods.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self.clock = SandboxClock()
        self.faults = FaultInjector(
            FaultSettings(
                self.config.fault_rate,
                self.config.fault_seed,
                tuple(self.config.fault_kinds),
                self.config.slow_seconds,
            )
        )
        self.faults.settings.validate()
        users = UserManager(self.config.users, self.config.user_roles)  # validates roles
        if self.config.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="azkaban-sandbox-")
            self.data_dir = Path(self._tmp.name)
        else:
            self.data_dir = Path(self.config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.spool_dir = self.data_dir / "tmp"
        self.spool_dir.mkdir(exist_ok=True)
        self.store = Store(self.data_dir / "sandbox.db")
        self.sessions = SessionStore(self.clock, self.config.session_ttl, self.config.max_sessions)
        costs = CostModel(
            self.config.cost_base_ms, self.config.cost_per_flow_ms, self.config.cost_per_mib_ms
        )
        self.backend = Backend(
            self.store,
            self.clock,
            users=users,
            files_dir=self.data_dir / "files",
            costs=costs,
            execution_step_seconds=self.config.execution_step_seconds,
        )
        self.router = Router(self.backend, self.sessions)

    # --- lifecycle ---
    def start(self) -> SandboxServer:
        """Bind and serve in a daemon thread; returns once the socket is listening."""
        self._httpd = _HTTPServer(
            (self.config.host, self.config.port), self, self.config.request_queue_size
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
        """Stop serving, close the database, remove a temp data dir."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.store.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

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

    # --- request handling ---
    def handle(self, req: Request) -> Reply:
        """Fault injection, then the control API or the Azkaban router."""
        if req.path.startswith(PREFIX):
            return handle_control(self, req)
        ajax = req.ajax
        with self._counts_lock:
            self._counts[f"{req.method} {req.path} {ajax or ''}".strip()] += 1
        kind = self.faults.pick(req.path, ajax, is_login(req))
        if kind is None:
            return self.router.dispatch(req)
        return self._faulted(kind, req)

    def _faulted(self, kind: str, req: Request) -> Reply:
        if kind in FAULT_PAGES:
            status = FAULT_PAGES[kind]
            return jetty_error(status, f"Injected fault {status}", req.path)
        if kind == "drop":
            return Reply(drop=True)
        time.sleep(self.faults.settings.slow_seconds) if kind.startswith("slow") else None
        if kind == "slow":
            return self.router.dispatch(req)
        if kind == "slow_drop":
            return Reply(drop=True)
        return expired_reply(req)

    # --- test control (also over HTTP under /_sandbox/) ---
    def stats(self) -> dict[str, Any]:
        """Request counts, fault counts by kind, upload counters, current settings."""
        with self._counts_lock:
            requests = dict(self._counts)
        st = self.backend.stats
        return {
            "requests": requests,
            "requests_total": sum(requests.values()),
            "faults": dict(self.faults.counts),
            "faults_total": sum(self.faults.counts.values()),
            "fault_settings": {
                "rate": self.faults.settings.rate,
                "seed": self.faults.settings.seed,
                "kinds": list(self.faults.settings.kinds),
                "slow_seconds": self.faults.settings.slow_seconds,
            },
            "uploads": {
                "ok": st.uploads_ok,
                "failed": st.uploads_failed,
                "flows": st.flows_uploaded,
                "bytes": st.bytes_uploaded,
            },
            "projects": len(self.store.active_projects()),
            "flows": self.store.flow_count(),
            "sessions": len(self.sessions),
            "costs": self.backend.costs.to_dict(),
            "rejected_projects": sorted(self.backend.rejections),
            "clock_offset_seconds": self.clock.advance(0),
        }

    def set_faults(self, **values: Any) -> dict[str, Any]:
        """Configure fault injection (rate, seed, kinds, slow_seconds); reseeds the RNG."""
        s = self.faults.configure(values)
        return {
            "rate": s.rate,
            "seed": s.seed,
            "kinds": list(s.kinds),
            "slow_seconds": s.slow_seconds,
        }

    def reject_uploads(self, projects: list[str], message: str | None = None) -> dict[str, Any]:
        """Uploads to these projects fail with HTTP 500 "Installation Failed.<br><message>".

        An empty list clears all rejections.
        """
        text = message or DEFAULT_REJECT_MESSAGE
        self.backend.rejections = {p.lower(): text for p in projects}
        return {"projects": sorted(self.backend.rejections), "message": text}

    def set_costs(self, **values: Any) -> dict[str, float]:
        """Update the upload cost model (base_ms, per_flow_ms, per_mib_ms)."""
        self.backend.costs.update(values)
        return self.backend.costs.to_dict()

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox clock (executions, session TTL, cron next-fire); returns offset."""
        return self.clock.advance(seconds)

    def expire_sessions(self) -> int:
        """Drop every session; returns how many."""
        return self.sessions.expire_all()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="azkaban-seeder sandbox", description="Run the Azkaban-compatible sandbox server."
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--data-dir", default=None, help="SQLite + zips; default: a temp dir")
    p.add_argument("--session-ttl", type=float, default=36_000.0, help="idle TTL, seconds")
    p.add_argument("--max-sessions", type=int, default=10_000)
    p.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME:PASSWORD[:TYPE,...]",
        help="extra user; with permission types (e.g. READ) the user gets only those",
    )
    p.add_argument("--execution-step-seconds", type=float, default=2.0)
    p.add_argument("--fault-rate", type=float, default=0.0)
    p.add_argument("--fault-seed", type=int, default=0)
    p.add_argument("--fault-kinds", default=",".join(FAULT_KINDS))
    p.add_argument("--slow-seconds", type=float, default=2.0)
    p.add_argument("--cost-base-ms", type=float, default=0.0)
    p.add_argument("--cost-per-flow-ms", type=float, default=0.0)
    p.add_argument("--cost-per-mib-ms", type=float, default=0.0)
    p.add_argument("--log-level", default="INFO")
    return p


def parse_users(
    specs: list[str],
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """`--user NAME:PASSWORD[:TYPE,...]` values -> (users, user_roles), azkaban included."""
    users, roles = {"azkaban": "azkaban"}, {}
    for spec in specs:
        name, sep, rest = spec.partition(":")
        password, _, types = rest.partition(":")
        if not name or not sep or not password:
            raise ValueError(f"--user wants NAME:PASSWORD[:TYPE,...], got {spec!r}")
        users[name] = password
        if types:
            roles[name] = tuple(t.strip().upper() for t in types.split(",") if t.strip())
    return users, roles


def sandbox_main(argv: list[str] | None = None) -> int:
    """`azkaban-seeder sandbox ...` / `python -m azkaban_sandbox`: serve until killed."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        users, roles = parse_users(args.user)
    except ValueError as exc:
        logger.error("%s", exc)
        return 2
    config = SandboxConfig(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        users=users,
        user_roles=roles,
        session_ttl=args.session_ttl,
        max_sessions=args.max_sessions,
        execution_step_seconds=args.execution_step_seconds,
        fault_rate=args.fault_rate,
        fault_seed=args.fault_seed,
        fault_kinds=tuple(k for k in args.fault_kinds.split(",") if k),
        slow_seconds=args.slow_seconds,
        cost_base_ms=args.cost_base_ms,
        cost_per_flow_ms=args.cost_per_flow_ms,
        cost_per_mib_ms=args.cost_per_mib_ms,
    )
    try:
        server = SandboxServer(config)
    except ValueError as exc:
        logger.error("invalid sandbox settings: %s", exc)
        return 2
    server.serve_forever()
    return 0

"""`SandboxApp`: the whole sandbox without sockets, `Request -> Reply`.

Per request: `/_sandbox/...` goes to the test controls; anything else is counted, may get an
injected fault (decided before it touches any state), and otherwise passes the login gate to
its handler. Tests can drive `handle()` directly with hand-made `Request`s; `SandboxServer`
only adds the HTTP plumbing.
"""

from __future__ import annotations

import logging
import time

from azkaban_sandbox.config import SandboxConfig
from azkaban_sandbox.control import PREFIX, SandboxControls, handle_control
from azkaban_sandbox.gate import LoginGate, expired_reply, is_login
from azkaban_sandbox.state import SandboxState
from azkaban_sandbox.wire import Reply, Request, jetty_error

logger = logging.getLogger("azkaban_sandbox")

FAULT_PAGES = {"http500": 500, "http502": 502, "http503": 503}
# Bare flags that select a page handler (reference 1.1, 4.6, 4.13), for the call counters.
BARE_FLAGS = ("delete", "download", "logout", "purge")


def call_key(req: Request) -> str:
    """``METHOD path ajax=X`` / ``action=X`` / a bare flag such as ``delete`` (or nothing):
    what the request asks the servlet for, multipart fields included."""
    name = ""
    for key in ("ajax", "action"):
        value = req.param(key)
        if value is None and req.multipart is not None:
            value = req.multipart.get(key)
        if value is not None:
            name = f"{key}={value}"
            break
    else:
        name = next((flag for flag in BARE_FLAGS if req.has(flag)), "")
    return f"{req.method} {req.path} {name}".strip()


class SandboxApp:
    """Routing, faults, sessions and costs over one `SandboxState`; thread-safe."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.state = SandboxState(self.config)
        self.controls = SandboxControls(self.state)
        self._gate = LoginGate(self.state.backend, self.state.sessions)

    def handle(self, req: Request) -> Reply:
        """Answer one request: control API, injected fault, or the Azkaban endpoints."""
        if req.path.startswith(PREFIX):
            return handle_control(self.controls, req)
        ajax = req.ajax
        counter = self.state.requests
        counter.count(f"{req.method} {req.path} {ajax or ''}".strip(), call_key(req))
        with counter.in_flight():
            kind = self.state.faults.pick(req.path, ajax, is_login(req))
            if kind is None:
                return self._gate.dispatch(req)
            return self._faulted(kind, req)

    def _faulted(self, kind: str, req: Request) -> Reply:
        if kind in FAULT_PAGES:
            status = FAULT_PAGES[kind]
            return jetty_error(status, f"Injected fault {status}", req.path)
        if kind == "drop":
            return Reply(drop=True)
        if kind.startswith("slow"):
            time.sleep(self.state.faults.settings.slow_seconds)
        if kind == "slow":
            return self._gate.dispatch(req)
        if kind == "slow_drop":
            return Reply(drop=True)
        return expired_reply(req)

    def close(self) -> None:
        """Release the database and a temp data dir."""
        self.state.close()

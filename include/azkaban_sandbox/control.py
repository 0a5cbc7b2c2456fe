"""The test-control API under `/_sandbox/` (not part of Azkaban; JSON in and out, no auth).

GET        /_sandbox/stats                 request, fault and upload counters
PUT|POST   /_sandbox/faults                {"rate", "seed", "kinds", "slow_seconds"}
POST       /_sandbox/reject-uploads        {"projects": [...], "message": "..."}
POST       /_sandbox/costs                 {"base_ms", "per_flow_ms", "per_mib_ms"}
POST       /_sandbox/clock/advance         {"seconds": N}
POST       /_sandbox/sessions/expire-all
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from azkaban_sandbox.wire import Reply, Request

if TYPE_CHECKING:
    from azkaban_sandbox.server import SandboxServer

PREFIX = "/_sandbox/"


def _json(value: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(value, indent=2).encode("utf-8"), "application/json")


def _stats(server: SandboxServer, body: Any) -> Any:
    return server.stats()


def _faults(server: SandboxServer, body: Any) -> Any:
    return server.set_faults(**body)


def _reject(server: SandboxServer, body: Any) -> Any:
    return server.reject_uploads(body.get("projects", []), body.get("message"))


def _costs(server: SandboxServer, body: Any) -> Any:
    return server.set_costs(**body)


def _advance(server: SandboxServer, body: Any) -> Any:
    return {"offset_seconds": server.advance_clock(float(body.get("seconds", 0)))}


def _expire(server: SandboxServer, body: Any) -> Any:
    return {"expired": server.expire_sessions()}


CONTROL: dict[tuple[str, str], Callable[[SandboxServer, Any], Any]] = {
    ("GET", "stats"): _stats,
    ("PUT", "faults"): _faults,
    ("POST", "faults"): _faults,
    ("POST", "reject-uploads"): _reject,
    ("POST", "costs"): _costs,
    ("POST", "clock/advance"): _advance,
    ("POST", "sessions/expire-all"): _expire,
}


def handle_control(server: SandboxServer, req: Request) -> Reply:
    """Answer one `/_sandbox/...` request."""
    action = CONTROL.get((req.method, req.path[len(PREFIX) :].strip("/")))
    if action is None:
        return _json({"error": f"unknown control call {req.method} {req.path}"}, 404)
    try:
        body = req.json()
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return _json(action(server, body))
    except (ValueError, TypeError) as exc:
        return _json({"error": str(exc)}, 400)

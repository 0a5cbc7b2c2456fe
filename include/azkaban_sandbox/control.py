"""Test controls (not Azkaban): `SandboxControls` over a sandbox's state, and their HTTP form.

The controls change only the shared `SandboxState` (faults, clock, costs, upload rejections,
sessions) and read its counters; they know nothing of the app or the HTTP server (which adds
its request-thread counters through `add_counters`, as a plain `Counters` object). New values
are checked against the settings table (`config.SETTINGS`), so a control call accepts exactly
what the config and the CLI accept. Over HTTP (JSON in and out, no auth):

GET        /_sandbox/stats                 request (by call, in flight), thread, fault, upload stats
POST       /_sandbox/stats/reset           zero the request counters and the in-flight maxima
PUT|POST   /_sandbox/faults                {"rate", "seed", "kinds", "slow_seconds"}
POST       /_sandbox/reject-uploads        {"projects": [...], "message": "..."}
POST       /_sandbox/costs                 {"base_ms", "per_flow_ms", "per_mib_ms"}
POST       /_sandbox/clock/advance         {"seconds": N}
POST       /_sandbox/sessions/expire-all
POST       /_sandbox/executions/load       {"executions": [{project, flow, status, submit, ...}]}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any, Protocol

from azkaban_sandbox.config import check
from azkaban_sandbox.faults import FaultSettings
from azkaban_sandbox.models.history import load_summary
from azkaban_sandbox.state import SandboxState
from azkaban_sandbox.wire import Reply, Request

PREFIX = "/_sandbox/"
DEFAULT_REJECT_MESSAGE = "Upload rejected by the sandbox (test control)."
# control-call keys -> the settings (config.SETTINGS) that bound them
FAULT_KEYS = {
    "rate": "fault_rate",
    "seed": "fault_seed",
    "kinds": "fault_kinds",
    "slow_seconds": "slow_seconds",
}
COST_KEYS = {
    "base_ms": "cost_base_ms",
    "per_flow_ms": "cost_per_flow_ms",
    "per_mib_ms": "cost_per_mib_ms",
}


def _checked(values: Mapping[str, Any], keys: dict[str, str], current: dict[str, Any]) -> Any:
    """`current` updated with `values`, each checked against its setting's bounds."""
    unknown = sorted(set(values) - set(keys))
    if unknown:
        raise ValueError(f"unknown keys {unknown}; use {sorted(keys)}")
    merged = dict(current)
    for key, value in values.items():
        merged[key] = check(keys[key], value)
    return merged


class Counters(Protocol):
    """Counters kept outside the state (the HTTP server's request threads)."""

    def stats(self) -> dict[str, Any]:
        """The counters now (JSON-ready)."""
        ...

    def reset(self) -> None:
        """Start the maxima afresh (what is in progress stays counted)."""
        ...


class SandboxControls:
    """Faults, clock, costs, upload rejections, sessions and stats of one sandbox."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._counters: dict[str, Counters] = {}

    def add_counters(self, name: str, counters: Counters) -> None:
        """Report `counters.stats()` as `stats()[name]`; `reset_stats()` resets them too."""
        self._counters[name] = counters

    def stats(self) -> dict[str, Any]:
        """Request counts, fault counts by kind, upload counters, current settings, and the
        counters added with `add_counters` (the HTTP server's `threads`)."""
        state = self.state
        requests = state.requests.snapshot()
        in_flight, in_flight_max = state.requests.in_flight_now_and_max()
        faults = dict(state.faults.counts)
        uploads = state.backend.uploads
        return {
            "requests": requests,
            "requests_total": sum(requests.values()),
            "calls": state.requests.calls(),
            "in_flight": in_flight,
            "in_flight_max": in_flight_max,
            "faults": faults,
            "faults_total": sum(faults.values()),
            "fault_settings": self._fault_dict(state.faults.settings),
            "uploads": asdict(uploads.stats()),
            "projects": state.backend.projects.count(),
            "flows": state.backend.projects.flow_count(),
            "sessions": len(state.sessions),
            "costs": state.costs.to_dict(),
            "rejected_projects": sorted(uploads.rejections),
            "clock_offset_seconds": state.clock.advance(0),
            **{name: counters.stats() for name, counters in self._counters.items()},
        }

    @staticmethod
    def _fault_dict(s: FaultSettings) -> dict[str, Any]:
        return {
            "rate": s.rate,
            "seed": s.seed,
            "kinds": list(s.kinds),
            "slow_seconds": s.slow_seconds,
        }

    def set_faults(self, **values: Any) -> dict[str, Any]:
        """Configure fault injection (rate, seed, kinds, slow_seconds); reseeds the RNG."""
        merged = _checked(values, FAULT_KEYS, self._fault_dict(self.state.faults.settings))
        settings = FaultSettings(
            float(merged["rate"]),
            int(merged["seed"]),
            tuple(merged["kinds"]),
            float(merged["slow_seconds"]),
        )
        return self._fault_dict(self.state.faults.configure(settings))

    def reject_uploads(self, projects: list[str], message: str | None = None) -> dict[str, Any]:
        """Uploads to these projects fail with HTTP 500 "Installation Failed.<br><message>".

        An empty list clears all rejections.
        """
        text = message or DEFAULT_REJECT_MESSAGE
        uploads = self.state.backend.uploads
        uploads.set_rejections({p.lower(): text for p in projects})
        return {"projects": sorted(uploads.rejections), "message": text}

    def set_costs(self, **values: Any) -> dict[str, float]:
        """Update the upload cost model (base_ms, per_flow_ms, per_mib_ms)."""
        costs = self.state.costs
        costs.update(_checked(values, COST_KEYS, costs.to_dict()))
        return costs.to_dict()

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox clock (executions, session TTL, cron next-fire); returns offset."""
        return self.state.clock.advance(seconds)

    def expire_sessions(self) -> int:
        """Drop every session; returns how many."""
        return self.state.sessions.expire_all()

    def reset_stats(self) -> dict[str, Any]:
        """Zero the request counters and the in-flight (and thread) maxima; returns the fresh
        stats."""
        self.state.requests.reset()
        for counters in self._counters.values():
            counters.reset()
        return self.stats()

    def load_executions(self, executions: Any) -> dict[str, Any]:
        """Store past executions (see `models.history` and docs/sandbox.md); all or nothing,
        a bad item raises ValueError naming it."""
        ids = self.state.backend.executions.load_history(executions)
        return load_summary(ids)

    def open_session(self, user: str = "azkaban") -> str:
        """A logged-in session id for `user`, without a login request (not counted)."""
        return self.state.sessions.create(user, "127.0.0.1").session_id


def _json(value: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(value, indent=2).encode("utf-8"), "application/json")


CONTROL: dict[tuple[str, str], Callable[[SandboxControls, dict[str, Any]], Any]] = {
    ("GET", "stats"): lambda c, body: c.stats(),
    ("PUT", "faults"): lambda c, body: c.set_faults(**body),
    ("POST", "faults"): lambda c, body: c.set_faults(**body),
    ("POST", "reject-uploads"): lambda c, body: c.reject_uploads(
        body.get("projects", []), body.get("message")
    ),
    ("POST", "costs"): lambda c, body: c.set_costs(**body),
    ("POST", "clock/advance"): lambda c, body: {
        "offset_seconds": c.advance_clock(float(body.get("seconds", 0)))
    },
    ("POST", "sessions/expire-all"): lambda c, body: {"expired": c.expire_sessions()},
    ("POST", "stats/reset"): lambda c, body: c.reset_stats(),
    ("POST", "executions/load"): lambda c, body: c.load_executions(
        _only(body, "executions")["executions"]
    ),
}


def _only(body: dict[str, Any], key: str) -> dict[str, Any]:
    unknown = sorted(set(body) - {key})
    if unknown or key not in body:
        raise ValueError(f"the body must be {{{key!r}: [...]}}; unknown keys {unknown}")
    return body


def handle_control(controls: SandboxControls, req: Request) -> Reply:
    """Answer one `/_sandbox/...` request."""
    action = CONTROL.get((req.method, req.path[len(PREFIX) :].strip("/")))
    if action is None:
        return _json({"error": f"unknown control call {req.method} {req.path}"}, 404)
    try:
        body = req.json()
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return _json(action(controls, body))
    except (ValueError, TypeError) as exc:
        return _json({"error": str(exc)}, 400)

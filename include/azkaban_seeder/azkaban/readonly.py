"""A strictly read-only, gentle Azkaban client for profiling a production server.

**Read-only by construction.** `WHITELIST` names the only calls it can make (reference §10):
the login POST and seven GETs. `check_request` is the one gate: `ReadOnlyTransport` is the
shared `Transport` (session, timeouts, error mapping) with the gate and the limits below put
in front of its single exchange path, so it runs on every request, the login and
headers-only GETs included, before anything is sent, and refuses anything else with
`ReadOnlyViolation` (another path, method, ajax name or any extra parameter such as
``delete``). Redirects are never followed (on Azkaban delete, purge, executeFlow, cancelFlow
and scheduleCronFlow are GETs too): a 3xx reply is a protocol error.

**Gentle.** One login, reused (session in a cookie header, see `transport.py`); at most
``max_in_flight`` requests at once (a semaphore shared by every thread using the client,
default 2 of the server's ~20 request threads); a token bucket capping the request rate
(default 20/s); a reply slower than ``slow_reply_seconds`` or a 5xx/429 pauses the bucket for
as long (back off when the server is busy); a total time budget after which every request
raises `BudgetExhausted`; retries bounded and jittered, transient failures only
(`retry.is_transient`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban import replies
from azkaban_seeder.azkaban.replies import (
    ExecFlowInfo,
    ExecutionsPage,
    GraphNodeInfo,
    ProjectRef,
    RawReply,
    RequestKind,
    ScheduledFlow,
)
from azkaban_seeder.azkaban.retry import RetryPolicy, is_transient
from azkaban_seeder.azkaban.settings import ConnectionSettings
from azkaban_seeder.azkaban.stats import RetryStats
from azkaban_seeder.azkaban.transport import Transport

log = logging.getLogger(__name__)

T = TypeVar("T")


class ReadOnlyViolation(e.AzkabanError):
    """A request outside `WHITELIST` was attempted; nothing was sent (a bug of ours)."""


class BudgetExhausted(e.AzkabanError):
    """The crawl's total time budget ran out; no further request is sent."""


@dataclass(frozen=True)
class ReadCall:
    """One whitelisted call: method, servlet path, the ajax/action name, allowed parameters."""

    method: str
    path: str
    name: str
    params: frozenset[str]


def _get(path: str, ajax: str, *params: str) -> ReadCall:
    return ReadCall("GET", path, ajax, frozenset({"ajax", *params}))


#: The only calls the read-only client can make, keyed by ajax/action name.
WHITELIST: Mapping[str, ReadCall] = {
    "login": ReadCall("POST", "/", "login", frozenset({"action", "username", "password"})),
    "fetchallprojects": _get("/index", "fetchallprojects"),
    "fetchprojectflows": _get("/manager", "fetchprojectflows", "project"),
    "fetchflowgraph": _get("/manager", "fetchflowgraph", "project", "flow"),
    "fetchSchedules": _get("/schedule", "fetchSchedules"),
    "fetchSchedule": _get("/schedule", "fetchSchedule", "projectId", "flowId"),
    "fetchFlowExecutions": _get(
        "/manager", "fetchFlowExecutions", "project", "flow", "start", "length"
    ),
    "fetchexecflow": _get("/executor", "fetchexecflow", "execid"),
}


def _fields(method: str, path: str, params: Mapping[str, Any] | None, data: Any) -> dict[str, Any]:
    """The request's parameters: the query of a GET, the url-encoded form of a POST."""
    if method == "GET" and data is None:
        return dict(params or {})
    if method == "POST" and not params and isinstance(data, Mapping):
        return dict(data)
    raise ReadOnlyViolation(
        f"refused {method} {path}: only GETs with query parameters and the url-encoded "
        "login POST are read calls"
    )


def check_request(method: str, path: str, params: Mapping[str, Any] | None, data: Any) -> ReadCall:
    """The whitelist gate: the `ReadCall` this request is, or `ReadOnlyViolation`.

    A GET carries its parameters in the query string only (no body); the one POST is the
    url-encoded login. Every parameter must be one the call allows."""
    fields = _fields(method, path, params, data)
    name = str(fields.get("ajax" if method == "GET" else "action", ""))
    call = WHITELIST.get(name)
    if call is None or (call.method, call.path) != (method, path):
        raise ReadOnlyViolation(
            f"refused {method} {path} {name or '(no ajax/action)'}: not a whitelisted read call"
        )
    extra = sorted(set(fields) - call.params)
    if extra:
        raise ReadOnlyViolation(f"refused {method} {path} {name}: parameters {extra} not allowed")
    return call


@dataclass(frozen=True)
class Gentleness:
    """How hard the client may push the server (validated; see the module docstring)."""

    max_in_flight: int = 2
    rate: float = 20.0
    budget_seconds: float = 3600.0
    slow_reply_seconds: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_in_flight <= 8:
            raise ValueError(f"max_in_flight must be 1..8, got {self.max_in_flight}")
        for name in ("rate", "budget_seconds", "slow_reply_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")


class TokenBucket:
    """A request-rate cap: ``rate`` tokens per second, at most ``burst`` saved up.

    `acquire` reserves a token and sleeps until it is due; `hold` pushes every later token
    back by some seconds (the server is slow or failing). Thread-safe."""

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self, deadline: float = float("inf")) -> None:
        """Take one token, sleeping until it is due; `BudgetExhausted` if that is past
        ``deadline`` (the token is given back)."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._tokens -= 1.0
            wait = max(0.0, -self._tokens / self.rate)
            if now + wait > deadline:
                self._tokens += 1.0
                raise BudgetExhausted("the time budget ends before the next request is due")
        if wait > 0:
            self._sleep(wait)

    def hold(self, seconds: float) -> None:
        """No token for the next ``seconds`` (on top of the reservations already made)."""
        with self._lock:
            self._refill(self._clock())
            self._tokens = min(self._tokens, 0.0) - seconds * self.rate


class ReadOnlyTransport(Transport):
    """The shared transport with the whitelist gate and the gentleness limits in front of
    every exchange (login included): budget, in-flight semaphore, token bucket, back-off."""

    def __init__(
        self,
        settings: ConnectionSettings,
        stats: RetryStats,
        gentleness: Gentleness,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(settings, stats, fresh_after=float("inf"))
        self.gentleness = gentleness
        self._clock = clock
        self.deadline = clock() + gentleness.budget_seconds
        self.bucket = TokenBucket(gentleness.rate, clock=clock, sleep=sleep)
        self._slots = threading.BoundedSemaphore(gentleness.max_in_flight)
        self._count_lock = threading.Lock()
        self._login_lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight_seen = 0
        self.calls: dict[str, int] = {}

    def remaining(self) -> float:
        """Seconds left of the time budget."""
        return self.deadline - self._clock()

    def login(self) -> None:
        """Log in unless another thread just did (one session shared by all threads)."""
        with self._login_lock:
            if not self.has_session:
                super().login()

    def _enter(self, call: ReadCall) -> None:
        with self._count_lock:
            self.in_flight += 1
            self.max_in_flight_seen = max(self.max_in_flight_seen, self.in_flight)
            self.calls[call.name] = self.calls.get(call.name, 0) + 1

    def _leave(self) -> None:
        with self._count_lock:
            self.in_flight -= 1

    def _exchange(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str],
        timeout: float | None = None,
        headers_only: bool = False,
    ) -> RawReply:
        """The gate and the limits, then the shared exchange (`Transport._exchange`, which
        every request of the transport goes through, so none can bypass this)."""
        call = check_request(method, path, params, data)
        if self.remaining() <= 0:
            raise BudgetExhausted("the time budget is used up", endpoint=endpoint)
        with self._slots:
            self.bucket.acquire(self.deadline)
            read_timeout = min(timeout or self.settings.timeout, max(self.remaining(), 0.1))
            self._enter(call)
            started = self._clock()
            try:
                reply = super()._exchange(
                    endpoint,
                    method,
                    path,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=read_timeout,
                    headers_only=headers_only,
                )
            finally:
                self._leave()
        self._back_off(endpoint, self._clock() - started, reply.status)
        return reply

    def _back_off(self, endpoint: str, seconds: float, status: int) -> None:
        busy = status >= 500 or status == 429
        if busy or seconds >= self.gentleness.slow_reply_seconds:
            pause = max(seconds, 1.0) if busy else seconds
            log.info(
                "azkaban %s: %s after %.1fs; pausing requests for %.1fs",
                endpoint,
                f"HTTP {status}" if busy else "slow reply",
                seconds,
                pause,
            )
            self.bucket.hold(pause)


class ReadOnlyClient:
    """The whitelisted read calls, retried (transient failures only) within the budget."""

    def __init__(
        self,
        settings: ConnectionSettings,
        gentleness: Gentleness | None = None,
        retry: RetryPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.gentleness = gentleness or Gentleness()
        self.policy = retry or RetryPolicy(attempts=4, max_seconds=120.0, max_wait=10.0)
        self.stats = RetryStats()
        self.transport = ReadOnlyTransport(
            settings, self.stats, self.gentleness, clock=clock, sleep=sleep
        )

    def __repr__(self) -> str:
        return f"ReadOnlyClient({self.settings!r}, {self.gentleness!r})"

    def __enter__(self) -> ReadOnlyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (logins and retries included)."""
        return self.stats.attempts

    def _call(self, endpoint: str, attempt: Callable[[], T]) -> T:
        def once() -> T:
            try:
                return attempt()
            except e.SessionExpired:
                self.transport.invalidate()
                raise

        return self.policy.retrying(endpoint, self.stats, is_transient)(once)

    def _read(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, Any],
        parse: Callable[[str, RawReply], T],
    ) -> T:
        def attempt() -> T:
            raw = self.transport.send(
                endpoint, "GET", path, kind=RequestKind.AJAX_GET, params=params
            )
            return parse(endpoint, raw)

        return self._call(endpoint, attempt)

    def login(self) -> None:
        """POST / ``action=login`` (url-encoded body); reply ``{"status", "session.id"}``.
        The only POST this client makes; every later call reuses the session."""
        self._call("login", self.transport.login)

    def fetch_all_projects(self) -> list[ProjectRef]:
        """GET /index ``ajax=fetchallprojects``; reply ``{"projects": [{"projectId",
        "projectName", ...}]}`` (every active project, no permission filter)."""
        return self._read(
            "fetch all projects", "/index", {"ajax": "fetchallprojects"}, replies.parse_project_list
        )

    def fetch_project_flows(self, project: str) -> list[str]:
        """GET /manager ``ajax=fetchprojectflows&project=``; reply ``{"flows": [{"flowId"}]}``
        (embedded Flow 2.0 flows left out). Returns the flow ids, sorted."""
        params = {"ajax": "fetchprojectflows", "project": project}
        return self._read("fetch project flows", "/manager", params, replies.parse_flow_list)

    def fetch_flow_graph(self, project: str, flow: str) -> tuple[GraphNodeInfo, ...]:
        """GET /manager ``ajax=fetchflowgraph&project=&flow=``; reply ``{"nodes": [{"id",
        "type", "in"?, "flowId"?, "nodes"?}]}`` sorted by id, embedded flows nested."""
        params = {"ajax": "fetchflowgraph", "project": project, "flow": flow}
        return self._read("fetch flow graph", "/manager", params, replies.parse_flow_graph)

    def fetch_schedules(self) -> list[ScheduledFlow]:
        """GET /schedule ``ajax=fetchSchedules``; reply ``{}`` or ``{"items": [{"scheduleId",
        "flowname", "projectname", "time", "cron", "period", "history"}]}`` (all schedules)."""
        return self._read(
            "fetch schedules", "/schedule", {"ajax": "fetchSchedules"}, replies.parse_schedule_list
        )

    def fetch_schedule(self, project_id: int, flow: str) -> str | None:
        """GET /schedule ``ajax=fetchSchedule&projectId=&flowId=``; reply ``{}`` or
        ``{"schedule": {"cronExpression", ...}}``. Returns the cron, or None."""
        params = {"ajax": "fetchSchedule", "projectId": project_id, "flowId": flow}
        return self._read("fetch schedule", "/schedule", params, replies.parse_single_schedule)

    def fetch_flow_executions(
        self, project: str, flow: str, start: int, length: int
    ) -> ExecutionsPage:
        """GET /manager ``ajax=fetchFlowExecutions&project=&flow=&start=&length=``; reply
        ``{"total", "from", "length", "executions": [{"execId", "status", "submitTime",
        "startTime", "endTime", ...}]}`` newest first (the server decodes a blob per row)."""
        params = {
            "ajax": "fetchFlowExecutions",
            "project": project,
            "flow": flow,
            "start": start,
            "length": length,
        }
        return self._read(
            "fetch flow executions", "/manager", params, replies.parse_flow_executions
        )

    def fetch_exec_flow(self, exec_id: int) -> ExecFlowInfo:
        """GET /executor ``ajax=fetchexecflow&execid=``; reply ``{"execid", "status",
        "submitTime", "startTime", "endTime", "nodes": [{"id", "nestedId", "type", "status",
        "startTime", "endTime", "attempt", "nodes"?}]}``."""
        params = {"ajax": "fetchexecflow", "execid": exec_id}
        return self._read("fetch execution", "/executor", params, replies.parse_exec_flow)

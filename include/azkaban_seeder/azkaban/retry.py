"""When and how the client retries: one policy, named predicates, declared once.

- `is_transient`: connect failures, timeouts, dropped connections, 5xx (`AzkabanServerError`)
  and `SessionExpired` (the transport logs in again before the next attempt). Used for reads
  and for writes that converge when repeated (upload, schedule upsert, create/delete with
  ensure semantics in the client).
- `is_never_acted_on`: only failures that prove the server did nothing (`ConnectFailed`,
  `SessionExpired`). Used for executeFlow, where a repeat could start a second execution.
- Everything else (`AzkabanRequestError`, `AzkabanProtocolError`, ...) fails at once.

Attempts are bounded by count and elapsed time; waits are random-exponential (jitter, since
many worker processes hit one server); a session expiry is retried without waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    wait_random_exponential,
)

from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban.stats import RetryStats

log = logging.getLogger(__name__)

Predicate = Callable[[BaseException], bool]


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt for idempotent/convergent calls."""
    return isinstance(exc, e.AzkabanTransportError | e.AzkabanServerError | e.SessionExpired)


def is_never_acted_on(exc: BaseException) -> bool:
    """The server provably did not act: safe to repeat even a non-idempotent call."""
    return isinstance(exc, e.ConnectFailed | e.SessionExpired)


def reason_of(exc: BaseException | None) -> str:
    """Short label used in log lines and in `RetryStats.retries`."""
    if isinstance(exc, e.AzkabanServerError):
        return f"http_{exc.status}" if exc.status else "server_error"
    labels: tuple[tuple[type[BaseException], str], ...] = (
        (e.ConnectFailed, "connect_failed"),
        (e.RequestTimeout, "timeout"),
        (e.ConnectionDropped, "connection_dropped"),
        (e.SessionExpired, "session_expired"),
    )
    for cls, label in labels:
        if isinstance(exc, cls):
            return label
    return type(exc).__name__ if exc is not None else "unknown"


OUTAGE_STATUSES = frozenset({502, 503, 504})
#: Session renewals one request may need (a server that forgets every session at once is
#: not recovering): never fewer than this, whatever ``attempts`` says.
MIN_RENEWALS = 3


def is_outage(exc: BaseException | None) -> bool:
    """The server looks down or restarting (not refusing): no connection, a dropped
    connection, no reply in time, or a gateway/unavailable page. Such failures are ridden out
    for the outage window instead of counting as attempts."""
    if isinstance(exc, e.ConnectFailed | e.ConnectionDropped):
        return True
    return isinstance(exc, e.AzkabanServerError) and exc.status in OUTAGE_STATUSES


def is_unanswered(exc: BaseException | None) -> bool:
    """No usable answer came back: an outage, or a read timeout (a silent server). These
    start the run's outage clock (`health.py`); a timeout still counts as an attempt of its
    own request, since a slow but living server answers the next one."""
    return is_outage(exc) or isinstance(exc, e.RequestTimeout)


@dataclass
class _CallBudget:
    """What one call has spent: counted attempts and session renewals."""

    counted: int = 0
    sessions: int = 0
    outage_started: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop.

    - ``attempts``: tries of one request for failures that are not an outage (a 500, ...);
    - ``outage_seconds``: how long an outage (`is_outage`) is ridden out; the wait follows the
      outage (probing every ``outage_probe`` seconds at most), not an attempt count, so a
      short restart of the server costs nothing but time;
    - a session renewal (`SessionExpired`, re-login before the next try) never counts as an
      attempt; renewals alone are bounded by ``max(MIN_RENEWALS, attempts)``;
    - ``max_seconds``: the total time one request may take, whatever happens.
    """

    attempts: int = 6
    max_seconds: float = 300.0
    initial_wait: float = 0.5
    max_wait: float = 30.0
    outage_seconds: float = 60.0
    outage_probe: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")

    def with_waits(self, seconds: float) -> RetryPolicy:
        """Same bounds, fixed tiny waits (tests: ``policy.with_waits(0)``)."""
        return replace(self, initial_wait=seconds, max_wait=seconds, outage_probe=seconds)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, e.SessionExpired) or self.max_wait <= 0:
            return 0.0
        backoff = wait_random_exponential(multiplier=self.initial_wait, max=self.max_wait)
        wait = float(backoff(state))
        return min(wait, self.outage_probe) if is_outage(exc) else wait

    def _stop(self, budget: _CallBudget) -> Callable[[RetryCallState], bool]:
        def stop(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            if (state.seconds_since_start or 0.0) >= self.max_seconds:
                return True
            if isinstance(exc, e.SessionExpired):
                budget.sessions += 1
                return budget.sessions >= max(MIN_RENEWALS, self.attempts)
            if is_outage(exc) and self.outage_seconds > 0:
                now = time.monotonic()
                if budget.outage_started is None:
                    budget.outage_started = now
                return now - budget.outage_started >= self.outage_seconds
            budget.counted += 1
            return budget.counted >= self.attempts

        return stop

    def retrying(
        self,
        endpoint: str,
        stats: RetryStats,
        predicate: Predicate = is_transient,
    ) -> Retrying:
        """A tenacity `Retrying` for one call of `endpoint`, counting retries into `stats`."""

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            reason = reason_of(exc)
            stats.count_retry(reason)
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "azkaban %s: attempt %d failed (%s: %s); retrying in %.1fs%s",
                endpoint,
                state.attempt_number,
                reason,
                _short(exc),
                wait,
                " (riding out an outage)" if is_outage(exc) else "",
            )

        return Retrying(
            stop=self._stop(_CallBudget()),
            wait=self._wait,
            retry=retry_if_exception(predicate),
            before_sleep=before_sleep,
            reraise=True,
        )


def _short(exc: BaseException | None) -> str:
    if isinstance(exc, e.AzkabanError):
        return exc.message[:160]
    return str(exc)[:160]

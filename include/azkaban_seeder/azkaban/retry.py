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
from collections.abc import Callable
from dataclasses import dataclass, replace

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
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


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop: at most `attempts` tries and `max_seconds` in total."""

    attempts: int = 6
    max_seconds: float = 300.0
    initial_wait: float = 0.5
    max_wait: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")

    def with_waits(self, seconds: float) -> RetryPolicy:
        """Same bounds, fixed tiny waits (tests: ``policy.with_waits(0)``)."""
        return replace(self, initial_wait=seconds, max_wait=seconds)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, e.SessionExpired) or self.max_wait <= 0:
            return 0.0
        backoff = wait_random_exponential(multiplier=self.initial_wait, max=self.max_wait)
        return float(backoff(state))

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
                "azkaban %s: attempt %d/%d failed (%s: %s); retrying in %.1fs",
                endpoint,
                state.attempt_number,
                self.attempts,
                reason,
                _short(exc),
                wait,
            )

        return Retrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_seconds),
            wait=self._wait,
            retry=retry_if_exception(predicate),
            before_sleep=before_sleep,
            reraise=True,
        )


def _short(exc: BaseException | None) -> str:
    if isinstance(exc, e.AzkabanError):
        return exc.message[:160]
    return str(exc)[:160]

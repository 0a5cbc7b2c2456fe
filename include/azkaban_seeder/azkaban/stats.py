"""Retry and login counters of one client, for run reports."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RetryStats:
    """Counts requests tried, retries by reason, logins and re-logins (thread-safe)."""

    attempts: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    logins: int = 0
    relogins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    #: Called (outside the lock) after each counted retry; the runner's workers use it to
    #: leave a note of what the project in hand has tried so far (`runner.inflight`).
    on_retry: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def count_attempt(self) -> None:
        with self._lock:
            self.attempts += 1

    def count_retry(self, reason: str) -> None:
        with self._lock:
            self.retries[reason] += 1
        if self.on_retry is not None:
            self.on_retry()

    def count_login(self, *, relogin: bool) -> None:
        with self._lock:
            self.logins += 1
            if relogin:
                self.relogins += 1

    @property
    def total_retries(self) -> int:
        with self._lock:
            return sum(self.retries.values())

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able copy: ``{"attempts", "retries", "retries_by_reason", "logins",
        "relogins"}``."""
        with self._lock:
            return {
                "attempts": self.attempts,
                "retries": sum(self.retries.values()),
                "retries_by_reason": dict(sorted(self.retries.items())),
                "logins": self.logins,
                "relogins": self.relogins,
            }

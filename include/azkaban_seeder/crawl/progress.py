"""The crawl's progress line: phase, done/total, requests, request rate, ETA (INFO log)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("azkaban_seeder.crawl")


class CrawlProgress:
    """Logs phase, done/total, requests, request rate and the phase's ETA every few seconds."""

    def __init__(
        self,
        requests: Callable[[], int],
        every: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._requests = requests
        self._every = every
        self._clock = clock
        self._lock = threading.Lock()
        self.started = clock()
        self.phase, self.total, self.done = "", 0, 0
        self._phase_started = self._last = self.started

    def start(self, phase: str, total: int) -> None:
        with self._lock:
            self.phase, self.total, self.done = phase, total, 0
            self._phase_started = self._clock()
        logger.info("crawl: %s: %d to fetch (%d requests so far)", phase, total, self._requests())

    def tick(self) -> None:
        with self._lock:
            self.done += 1
            now = self._clock()
            if now - self._last < self._every and self.done < self.total:
                return
            self._last = now
            line = self.line(now)
        logger.info("%s", line)

    def line(self, now: float) -> str:
        """The progress line (called under the lock)."""
        requests = self._requests()
        rate = requests / max(now - self.started, 1e-9)
        phase_seconds = now - self._phase_started
        remaining = self.total - self.done
        eta = remaining * phase_seconds / self.done if self.done else float("nan")
        return (
            f"crawl: {self.phase} {self.done}/{self.total}, {requests} requests, "
            f"{rate:.1f} req/s, ETA {_duration(eta)} for this phase"
        )


def _duration(seconds: float) -> str:
    if math.isnan(seconds):  # nothing done yet
        return "unknown"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"

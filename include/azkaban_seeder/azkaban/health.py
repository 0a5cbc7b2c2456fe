"""Run-level server health: one outage clock shared by every client of a run.

Each request's outcome is noted here: an outage-looking failure (no connection, a dropped
connection, 502/503/504, a read timeout) starts the clock (``down_since``) unless it already
runs; any answer stops it. Every client of a run consults the same board before sending:
once the server has been down for longer than the outage window, the circuit is open and
requests fail at once with `ServerUnreachable` instead of each spending its own retry budget,
so a dead server ends the whole run within a fixed bound, whatever the project count.

`LocalHealth` serves one process (CLI verify, teardown, tests); `SharedHealth` keeps the two
timestamps in shared memory so a runner's spawn workers and its parent see one board (the
parent creates it with `SharedHealth.create` and passes it to the pool initializer).
Timestamps are wall-clock seconds (``time.time()``): they cross processes.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol


class HealthBoard(Protocol):
    """What clients need from a board."""

    def failed(self, started: float) -> None:
        """An outage-looking failure of a request that started at ``started``."""

    def answered(self) -> None:
        """The server answered (any HTTP reply that is not an outage page)."""

    def down_since(self) -> float | None:
        """When the current outage began, or None while the server answers."""

    def last_answer(self) -> float:
        """When the server last answered (the board's creation time before that)."""


@dataclass
class LocalHealth:
    """A board for one process."""

    _down: float | None = None
    _answered: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def failed(self, started: float) -> None:
        with self._lock:
            if self._down is None:
                self._down = started

    def answered(self) -> None:
        with self._lock:
            self._down = None
            self._answered = time.time()

    def down_since(self) -> float | None:
        with self._lock:
            return self._down

    def last_answer(self) -> float:
        with self._lock:
            return self._answered


class SharedHealth:
    """A board in shared memory (``multiprocessing.Array``): picklable into spawn workers
    through the pool initializer's arguments."""

    def __init__(self, values: Any) -> None:
        self._values = values  # [down_since or 0.0, last_answer]

    @classmethod
    def create(cls, context: Any = None) -> SharedHealth:
        ctx = context or multiprocessing.get_context("spawn")
        return cls(ctx.Array("d", [0.0, time.time()]))

    def __getstate__(self) -> dict[str, Any]:
        return {"values": self._values}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._values = state["values"]

    def failed(self, started: float) -> None:
        with self._values.get_lock():
            if self._values[0] == 0.0:
                self._values[0] = started

    def answered(self) -> None:
        with self._values.get_lock():
            self._values[0] = 0.0
            self._values[1] = time.time()

    def down_since(self) -> float | None:
        value = float(self._values[0])
        return value or None

    def last_answer(self) -> float:
        return float(self._values[1])


def outage_seconds(board: HealthBoard, now: float | None = None) -> float:
    """How long the current outage has lasted (0 while the server answers)."""
    since = board.down_since()
    return 0.0 if since is None else max(0.0, (now or time.time()) - since)


def describe_since(since: float) -> str:
    """``2026-12-01 22:40:05 UTC``-style text for messages."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since))

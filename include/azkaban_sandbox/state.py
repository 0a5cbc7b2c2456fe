"""Everything one running sandbox holds, built from a `SandboxConfig` (no HTTP, no sockets).

The data dir (a temp dir unless configured) holds `sandbox.db`, the kept zips (`files/`) and
spooled upload parts (`tmp/`). The clock, fault injector, sessions, cost model, models and
request counter live here so the app (which serves requests) and the test controls (which
change them) share them without knowing about each other.
"""

from __future__ import annotations

import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from azkaban_sandbox.clock import SandboxClock
from azkaban_sandbox.config import SandboxConfig
from azkaban_sandbox.costs import CostModel
from azkaban_sandbox.faults import FaultInjector, FaultSettings
from azkaban_sandbox.models import Backend
from azkaban_sandbox.sessions import SessionStore
from azkaban_sandbox.store import Store
from azkaban_sandbox.users import UserManager


class RequestCounter:
    """Requests by `METHOD path ajax` and by call (`METHOD path ajax=X|action=X|flag`), and
    how many Azkaban requests were being handled at once (now and at most); thread-safe.

    The `/_sandbox/stats` counters. `calls` tells ``ajax=`` from ``action=`` and records a bare
    flag such as ``delete``, so a test can prove which calls a client made."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._calls: Counter[str] = Counter()
        self._in_flight = 0
        self._in_flight_max = 0
        self._lock = threading.Lock()

    def count(self, key: str, call: str | None = None) -> None:
        """Count one request (`call`: its precise call key, when known)."""
        with self._lock:
            self._counts[key] += 1
            if call is not None:
                self._calls[call] += 1

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Track one request being handled (for the in-flight maximum)."""
        with self._lock:
            self._in_flight += 1
            self._in_flight_max = max(self._in_flight_max, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def snapshot(self) -> dict[str, int]:
        """The counts so far."""
        with self._lock:
            return dict(self._counts)

    def calls(self) -> dict[str, int]:
        """The counts by call key so far."""
        with self._lock:
            return dict(self._calls)

    def in_flight_now_and_max(self) -> tuple[int, int]:
        """Requests being handled now, and the most at once since the last reset."""
        with self._lock:
            return self._in_flight, self._in_flight_max

    def reset(self) -> None:
        """Forget the counts and the in-flight maximum (requests in flight stay counted)."""
        with self._lock:
            self._counts.clear()
            self._calls.clear()
            self._in_flight_max = self._in_flight


class SandboxState:
    """The data dir, store, clock, sessions, faults, costs, models and counters of a sandbox."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if config.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="azkaban-sandbox-")
            self.data_dir = Path(self._tmp.name)
        else:
            self.data_dir = Path(config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.spool_dir = self.data_dir / "tmp"
        self.spool_dir.mkdir(exist_ok=True)
        self.clock = SandboxClock()
        self.faults = FaultInjector(
            FaultSettings(
                config.fault_rate, config.fault_seed, config.fault_kinds, config.slow_seconds
            )
        )
        self.sessions = SessionStore(self.clock, config.session_ttl, config.max_sessions)
        self.costs = CostModel(config.cost_base_ms, config.cost_per_flow_ms, config.cost_per_mib_ms)
        self.store = Store(self.data_dir / "sandbox.db")
        self.backend = Backend(
            self.store,
            self.clock,
            users=UserManager(config.users, config.user_roles),
            files_dir=self.data_dir / "files",
            costs=self.costs,
            execution_step_seconds=config.execution_step_seconds,
        )
        self.requests = RequestCounter()

    def close(self) -> None:
        """Close the database and remove a temp data dir (idempotent)."""
        self.store.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

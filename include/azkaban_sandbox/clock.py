"""The sandbox clock: wall time plus an offset tests can advance without sleeping."""

from __future__ import annotations

import threading
import time
from datetime import datetime


class SandboxClock:
    """Wall-clock time shifted by an offset; `advance()` moves sessions, executions, crons."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the sandbox sees them."""
        with self._lock:
            return time.time() + self._offset

    def now_ms(self) -> int:
        """Milliseconds since the epoch (Azkaban's time unit in replies)."""
        return int(self.now() * 1000)

    def now_local(self) -> datetime:
        """Timezone-aware local time (Azkaban uses the web server's default JVM zone)."""
        return datetime.fromtimestamp(self.now()).astimezone()

    def advance(self, seconds: float) -> float:
        """Move the clock forward (or back, with a negative value); returns the new offset."""
        with self._lock:
            self._offset += seconds
            return self._offset


def format_local(ms: int) -> str:
    """Azkaban's `yyyy-MM-dd HH:mm:ss` in the server's time zone."""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")

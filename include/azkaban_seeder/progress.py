"""Progress accounting shared by the runner (log lines) and the CLI (a one-line TTY bar)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TextIO

logger = logging.getLogger(__name__)


@dataclass
class ProgressCounter:
    """Counts finished projects and flows against a total and derives the rate and ETA."""

    total_projects: int
    total_flows: int
    done_projects: int = 0
    done_flows: int = 0
    failed_projects: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, flows: int, failed: bool = False) -> None:
        self.done_projects += 1
        self.done_flows += flows
        self.failed_projects += int(failed)

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-9)

    @property
    def rate(self) -> float:
        """Flows per second since the start."""
        return self.done_flows / self.elapsed

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, None before the first flow."""
        if self.done_flows <= 0:
            return None
        return max(self.total_flows - self.done_flows, 0) / self.rate

    def line(self, label: str) -> str:
        """A plain progress line: ``shard 3: 4/10 projects, 400 flows, 12.3 flows/s``."""
        text = (
            f"{label}: {self.done_projects}/{self.total_projects} projects, "
            f"{self.done_flows} flows, {self.rate:.1f} flows/s"
        )
        if self.failed_projects:
            text += f", {self.failed_projects} failed"
        return text


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def render_bar(counter: ProgressCounter, width: int = 30) -> str:
    """``[#######.......]  42% 4200/10000 flows  812.3 flows/s  ETA 00:07``."""
    total = max(counter.total_flows, 1)
    fraction = min(counter.done_flows / total, 1.0)
    filled = round(fraction * width)
    bar = "#" * filled + "." * (width - filled)
    text = (
        f"[{bar}] {fraction * 100:3.0f}% {counter.done_flows}/{counter.total_flows} flows "
        f"{counter.rate:7.1f} flows/s  ETA {format_seconds(counter.eta)}"
    )
    if counter.failed_projects:
        text += f"  {counter.failed_projects} failed"
    return text


class ProgressDisplay:
    """Shows progress on a stream: a redrawn one-line bar on a TTY, plain lines otherwise.

    Plain lines are throttled to one every ``interval`` seconds (plus the final one), so logs
    of a 10,000-flow run stay readable.
    """

    def __init__(self, stream: TextIO, counter: ProgressCounter, interval: float = 2.0) -> None:
        self.stream = stream
        self.counter = counter
        self.interval = interval
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last = float("-inf")  # the first update always prints

    def update(self, flows: int, failed: bool = False) -> None:
        self.counter.add(flows, failed)
        finished = self.counter.done_projects >= self.counter.total_projects
        now = time.monotonic()
        if self.tty:
            # "\x1b[K" clears what a longer previous line left behind.
            self.stream.write("\r" + render_bar(self.counter) + "\x1b[K")
            self.stream.flush()
        elif finished or now - self._last >= self.interval:
            self._last = now
            self.stream.write(self.counter.line("progress") + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self.counter.done_projects:
            self.stream.write("\n")
            self.stream.flush()

"""Upload cost model: emulated server-side latency so benchmarks behave like a real server.

A real upload costs roughly a fixed overhead, one INSERT per flow and one chunk round-trip per
10 MiB (docs/azkaban-reference.md 6.1); `CostModel` turns that into a sleep inside the
per-project persist lock. The sleep runs on the request's thread, so while it lasts the request
holds one of the server's `max_threads` request threads (server.py `RequestThreads`): slow
uploads fill the pool and the requests behind them queue, as on a real server. Off (all zero)
by default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass
class CostModel:
    """Milliseconds of latency per upload: base + per_flow * flows + per_mib * MiB."""

    base_ms: float = 0.0
    per_flow_ms: float = 0.0
    per_mib_ms: float = 0.0

    def upload_seconds(self, flows: int, size_bytes: int) -> float:
        """Latency to add to one successful upload, in seconds."""
        ms = self.base_ms + self.per_flow_ms * flows + self.per_mib_ms * size_bytes / MIB
        return max(ms, 0.0) / 1000.0

    def update(self, values: dict[str, Any]) -> None:
        """Apply a partial update (test-control API `POST /_sandbox/costs`)."""
        for key in ("base_ms", "per_flow_ms", "per_mib_ms"):
            if key in values:
                setattr(self, key, float(values[key]))

    def to_dict(self) -> dict[str, float]:
        """JSON form for `/_sandbox/stats`."""
        return asdict(self)

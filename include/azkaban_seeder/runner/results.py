"""Result records of the runner: small, JSON-able, safe to send between processes and via XCom."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ProjectResult:
    """Outcome of building and uploading one project.

    ``attempts`` counts the HTTP requests tried for this project (first tries and retries);
    ``retries`` counts retried HTTP attempts of every call for this project by reason
    (e.g. ``{"http_503": 2, "connect_failed": 1}``); ``error`` is None on success.
    """

    project: str
    flows: int = 0
    bytes: int = 0
    attempts: int = 0
    retries: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    scheduled: int = 0
    #: "uploaded" (new project), "repaired" (it existed with other content), "skipped"
    #: (the server already held exactly this zip), "" when the project failed.
    action: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProjectResult:
        return cls(
            project=str(data["project"]),
            flows=int(data.get("flows", 0)),
            bytes=int(data.get("bytes", 0)),
            attempts=int(data.get("attempts", 0)),
            retries={str(k): int(v) for k, v in dict(data.get("retries") or {}).items()},
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
            scheduled=int(data.get("scheduled", 0)),
            action=str(data.get("action", "")),
        )


@dataclass
class ShardResult:
    """Outcome of one shard: one record per planned project, in plan order.

    ``error`` holds a shard-level failure (a dead worker, a timeout, a stop signal); the
    projects it concerns also carry an ``error``.
    """

    shard_index: int
    label: str
    projects: list[ProjectResult] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    @property
    def failed(self) -> list[ProjectResult]:
        return [p for p in self.projects if p.error is not None]

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed

    @property
    def flows(self) -> int:
        return sum(p.flows for p in self.projects if p.error is None)

    @property
    def bytes(self) -> int:
        return sum(p.bytes for p in self.projects if p.error is None)

    def retries(self) -> dict[str, int]:
        """Retried attempts summed over the shard's projects, by reason."""
        total: Counter[str] = Counter()
        for p in self.projects:
            total.update(p.retries)
        return dict(sorted(total.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "shard_index": self.shard_index,
            "label": self.label,
            "projects": [p.to_dict() for p in self.projects],
            "seconds": self.seconds,
            "error": self.error,
            "flows": self.flows,
            "failed": len(self.failed),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardResult:
        return cls(
            shard_index=int(data["shard_index"]),
            label=str(data.get("label", "")),
            projects=[ProjectResult.from_dict(p) for p in data.get("projects", [])],
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
        )

"""Execution options (`HttpRequestUtils.parseFlowOptions`), stored with executions and schedules."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class ExecOptions:
    """Parsed flow options; `failure_action` holds the ExecutionOptions enum name."""

    concurrent_option: str = "skip"
    pipeline_level: int | None = None
    queue_level: int = 0
    failure_action: str = "FINISH_CURRENTLY_RUNNING"
    disabled_jobs: list[Any] = field(default_factory=list)
    success_emails: list[str] = field(default_factory=list)
    failure_emails: list[str] = field(default_factory=list)
    success_emails_override: bool = False
    failure_emails_override: bool = False
    notify_failure_first: bool = False
    notify_failure_last: bool = False
    flow_parameters: dict[str, str] = field(default_factory=dict)

    def dumps(self) -> str:
        """The stored form (JSON of the fields)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> ExecOptions:
        """Back from the stored form; unknown keys are ignored."""
        data = json.loads(text) if text else {}
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

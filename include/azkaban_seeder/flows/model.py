"""The in-memory model of a generated flow: jobs and their upstream dependencies."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """One job; ``dependencies`` are the names of the jobs that must finish first."""

    name: str
    type: str
    command: str
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flow:
    """One flow: its jobs in topological order (upstream first, the root last).

    ``flow_id`` equals the root job's name, which is how Azkaban's Flow 1.0 loader names flows.
    ``cron`` is a Quartz expression for ``/schedule?ajax=scheduleCronFlow``, or None.
    """

    flow_id: str
    jobs: tuple[Job, ...]
    cron: str | None = None

    @property
    def root(self) -> Job:
        return self.jobs[-1]

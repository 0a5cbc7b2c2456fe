"""What the read-only crawler saw, in memory only: the raw input of `build_profile`.

These records never leave the process and are never written to disk. They carry no project,
flow or job names: projects are numbered in the order the crawler met them, nodes by their
position in the flow graph (sorted by id, as ``fetchflowgraph`` returns them), and job
properties (commands, users, secrets) are never fetched at all. Names exist only transiently
inside the crawler, to address the next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeObservation:
    """One node of a flow graph: its job type and the positions of its direct upstream nodes.

    ``embedded`` is the graph of an embedded flow node (type ``flow``), nested like
    ``fetchflowgraph``'s ``nodes``; None for a job."""

    type: str
    parents: tuple[int, ...] = ()
    embedded: tuple[NodeObservation, ...] | None = None


@dataclass(frozen=True)
class JobRun:
    """One job of one execution (from ``fetchexecflow``): type, status and seconds it ran."""

    type: str
    status: str
    seconds: float


@dataclass(frozen=True)
class ExecutionObservation:
    """One sampled execution (``fetchFlowExecutions`` row + its ``fetchexecflow`` nodes).

    Times are epoch milliseconds as the server sends them (-1 when unset)."""

    status: str
    submit_ms: int
    start_ms: int
    end_ms: int
    jobs: tuple[JobRun, ...] = ()


@dataclass(frozen=True)
class FlowObservation:
    """One top-level flow (embedded Flow 2.0 sub-flows are inside `nodes`, not separate).

    ``flow_format`` is "1.0", "2.0" or None when the server's replies do not tell (the read
    side has no field for it; an embedded node whose flowId holds ``:`` proves 2.0).
    ``cron`` is the Quartz expression of its schedule (``fetchSchedules``), None if none."""

    project: int
    nodes: tuple[NodeObservation, ...]
    flow_format: str | None = None
    cron: str | None = None
    executions: tuple[ExecutionObservation, ...] = ()


@dataclass
class Observations:
    """Everything one crawl saw. ``complete`` is False when the crawl stopped early (time
    budget, a failure): such observations are never written as a profile."""

    projects: int = 0
    flows: list[FlowObservation] = field(default_factory=list)
    history_days: int = 30
    max_executions_per_flow: int = 20
    crawl_started_ms: int = 0
    requests: int = 0
    complete: bool = False

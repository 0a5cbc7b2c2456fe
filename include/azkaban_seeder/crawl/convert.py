"""Read-side replies -> observation records, and the seeded history sample (pure functions)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban.replies import GraphNodeInfo, JobRunInfo
from azkaban_seeder.profile.observations import JobRun, NodeObservation


def graph_nodes(infos: Sequence[GraphNodeInfo], where: str = "flow") -> tuple[NodeObservation, ...]:
    """``fetchflowgraph`` nodes -> `NodeObservation` s by position in the id-sorted list."""
    ordered = sorted(infos, key=lambda n: n.id)
    position = {node.id: i for i, node in enumerate(ordered)}
    if len(position) != len(ordered):
        raise e.AzkabanProtocolError(f"fetchflowgraph reply: {where} lists a node id twice")
    out = []
    for node in ordered:
        unknown = [p for p in node.in_ if p not in position]
        if unknown:
            raise e.AzkabanProtocolError(
                f"fetchflowgraph reply: a node of {where} has {len(unknown)} unknown upstream id(s)"
            )
        embedded = graph_nodes(node.nodes, "an embedded flow") if node.nodes is not None else None
        out.append(
            NodeObservation(node.type, tuple(sorted(position[p] for p in node.in_)), embedded)
        )
    return tuple(out)


def format_evidence(infos: Iterable[GraphNodeInfo]) -> str | None:
    """ "2.0" if an embedded flowId holds ``:``, "1.0" if one does not, None without any."""
    found: str | None = None
    for node in infos:
        if node.flow_id is not None:
            if ":" in node.flow_id:
                return "2.0"
            found = "1.0"
        if node.nodes:
            inner = format_evidence(node.nodes)
            if inner == "2.0":
                return inner
            found = found or inner
    return found


def job_run(info: JobRunInfo) -> JobRun:
    """One ``fetchexecflow`` job -> `JobRun` (seconds -1 when it did not both start and end)."""
    ran = info.start_ms > 0 and info.end_ms >= info.start_ms
    return JobRun(info.type, info.status, (info.end_ms - info.start_ms) / 1000 if ran else -1.0)


def sample_positions(count: int, limit: int, seed: int) -> list[int]:
    """``limit`` of ``count`` positions, drawn by a seeded shuffle, in ascending order."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return sorted(order[:limit])

"""Measurements of one flow graph: levels, depth, widths, fan-in/out, embedded flows.

Levels count from the sinks: a node's level is the longest path (in edges) from it down to a
sink, so sinks are level 0 and ``depth`` (the longest path counted in jobs) is the highest
level + 1. With that definition a generated layered DAG measures exactly as it was built.
The top-level graph is measured; an embedded flow node counts as one node there, and its inner
graph only adds to the embedded-flow count, the nesting depth and the job types.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from azkaban_seeder.profile.errors import GraphError
from azkaban_seeder.profile.observations import NodeObservation

EMBEDDED_TYPE = "flow"


@dataclass(frozen=True)
class GraphMetrics:
    """What the profile keeps of one flow's graph."""

    jobs: int
    depth: int
    level_widths: tuple[int, ...]
    fan_in: tuple[int, ...]
    fan_out: tuple[int, ...]
    embedded_flows: int
    embedded_depth: int
    job_types: tuple[str, ...]

    @property
    def max_width(self) -> int:
        return max(self.level_widths)


def _children(nodes: Sequence[NodeObservation]) -> list[list[int]]:
    children: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(nodes):
        for parent in node.parents:
            if not 0 <= parent < len(nodes) or parent == i:
                raise GraphError(f"node {i} names parent {parent} of {len(nodes)} nodes")
            children[parent].append(i)
    return children


def levels(nodes: Sequence[NodeObservation]) -> list[int]:
    """Each node's longest path down to a sink (Kahn's order from the sinks up)."""
    children = _children(nodes)
    remaining = [len(c) for c in children]
    level = [0] * len(nodes)
    ready = [i for i, n in enumerate(remaining) if n == 0]
    done = 0
    while ready:
        node = ready.pop()
        done += 1
        for parent in nodes[node].parents:
            level[parent] = max(level[parent], level[node] + 1)
            remaining[parent] -= 1
            if remaining[parent] == 0:
                ready.append(parent)
    if done != len(nodes):
        raise GraphError("the flow graph has a cycle")
    return level


def _embedded(nodes: Sequence[NodeObservation], depth: int = 1) -> tuple[int, int, list[str]]:
    """(embedded flows, deepest nesting, job types) of ``nodes``, recursively."""
    count, deepest, types = 0, 0, []
    for node in nodes:
        if node.embedded is None:
            types.append(node.type)
            continue
        inner_count, inner_depth, inner_types = _embedded(node.embedded, depth + 1)
        count += 1 + inner_count
        deepest = max(deepest, depth, inner_depth)
        types.extend(inner_types)
    return count, deepest, types


def measure(nodes: Sequence[NodeObservation]) -> GraphMetrics:
    """The `GraphMetrics` of one top-level flow graph (raises `GraphError`)."""
    if not nodes:
        raise GraphError("a flow without nodes")
    level = levels(nodes)
    widths = Counter(level)
    fan_out = Counter(p for node in nodes for p in node.parents)
    embedded, deepest, types = _embedded(nodes)
    return GraphMetrics(
        jobs=len(nodes),
        depth=max(level) + 1,
        level_widths=tuple(widths[lv] for lv in range(max(level) + 1)),
        fan_in=tuple(len(node.parents) for node in nodes),
        fan_out=tuple(fan_out[i] for i in range(len(nodes))),
        embedded_flows=embedded,
        embedded_depth=deepest,
        job_types=tuple(types),
    )

"""Flow graphs as stored after an upload, read back as typed records (reference 4.3, 4.4).

A graph is stored as compact JSON (`encode`); `graph()` decodes it into `FlowGraph` with
`GraphNode`s sorted by id. Embedded Flow 2.0 flows are stored as flows of their own (id
`parent:child`) and linked from their node by `embedded`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from azkaban_sandbox.store.projects import ProjectTable
from azkaban_sandbox.store.records import FlowRow, ProjectRecord
from azkaban_seeder.loaders import LoadedFlow

MAX_DEPTH = 50  # embedded flows nest at most this deep (a cycle would be a load error)


@dataclass(frozen=True)
class GraphNode:
    """One node: `in_` are its direct upstream node ids (sorted); `embedded` a sub-flow id."""

    id: str
    type: str
    in_: tuple[str, ...]
    condition: str | None
    embedded: str | None
    props: dict[str, Any]


@dataclass(frozen=True)
class FlowGraph:
    """A stored flow: its properties and nodes sorted by id."""

    flow_id: str
    props: dict[str, Any]
    nodes: tuple[GraphNode, ...]


@dataclass(frozen=True)
class JobNode:
    """A node as `fetchflowjobs` sees it: edges both ways and its level (longest path)."""

    id: str
    type: str
    dependencies: tuple[str, ...]
    dependents: tuple[str, ...]
    level: int


def encode(flow: LoadedFlow) -> FlowRow:
    """The `flows` row of a loaded flow (nodes sorted by id)."""
    nodes = [
        {
            "id": node.id,
            "type": node.type,
            "in": sorted(node.in_),
            "condition": node.condition,
            "embedded": node.embedded_flow_id,
            "props": node.props,
        }
        for _, node in sorted(flow.nodes.items())
    ]
    graph = json.dumps({"props": flow.props, "nodes": nodes}, separators=(",", ":"))
    return FlowRow(flow.flow_id, flow.embedded, graph)


def _decode(row: FlowRow) -> FlowGraph:
    data = json.loads(row.graph)
    nodes = tuple(
        GraphNode(n["id"], n["type"], tuple(n["in"]), n["condition"], n["embedded"], n["props"])
        for n in data["nodes"]
    )
    return FlowGraph(row.flow_id, data["props"], nodes)


def levels(nodes: tuple[GraphNode, ...]) -> dict[str, int]:
    """Node levels as Azkaban's `Flow.setLevelsAndEdgeNodes` assigns them (longest path)."""
    by_id = {n.id: n for n in nodes}
    found: dict[str, int] = {}

    def level(node_id: str, depth: int = 0) -> int:
        if node_id in found:
            return found[node_id]
        if depth > len(by_id):  # a cycle would have been a load error; stay finite anyway
            return 0
        parents = [p for p in by_id[node_id].in_ if p in by_id]
        found[node_id] = max((level(p, depth + 1) + 1 for p in parents), default=0)
        return found[node_id]

    for node_id in by_id:
        level(node_id)
    return found


class FlowsModel:
    """Read access to the current flows of projects."""

    def __init__(self, table: ProjectTable) -> None:
        self.table = table

    def ids(self, project: ProjectRecord) -> list[str]:
        """Top-level flow ids (embedded 2.0 sub-flows hidden), as `fetchprojectflows` lists."""
        return self.table.flow_ids(project.id)

    def exists(self, project: ProjectRecord, flow_id: str) -> bool:
        """Whether the project's current version has this flow (embedded ones included)."""
        return self.table.flow(project.id, flow_id) is not None

    def graph(self, project: ProjectRecord, flow_id: str) -> FlowGraph | None:
        """The flow's graph, or None when the flow does not exist."""
        row = self.table.flow(project.id, flow_id)
        return _decode(row) if row else None

    def walk(self, project: ProjectRecord, flow_id: str, depth: int = 0) -> Iterator[GraphNode]:
        """Every node of the flow, embedded flows' nodes included."""
        graph = self.graph(project, flow_id)
        if graph is None or depth > MAX_DEPTH:
            return
        for node in graph.nodes:
            yield node
            if node.embedded:
                yield from self.walk(project, node.embedded, depth + 1)

    def jobs(self, project: ProjectRecord, flow_id: str) -> list[JobNode] | None:
        """`fetchflowjobs` nodes sorted by (level, id); None when the flow does not exist."""
        graph = self.graph(project, flow_id)
        if graph is None:
            return None
        level = levels(graph.nodes)
        dependents: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
        for node in graph.nodes:
            for parent in node.in_:
                dependents.setdefault(parent, []).append(node.id)
        ordered = sorted(graph.nodes, key=lambda n: (level[n.id], n.id))
        return [
            JobNode(n.id, n.type, n.in_, tuple(sorted(dependents[n.id])), level[n.id])
            for n in ordered
        ]

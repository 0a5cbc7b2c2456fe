"""Flow endpoints under `/manager` ajax: flow list, graph (`fillFlowInfo`), jobs."""

from __future__ import annotations

from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.models.flows import MAX_DEPTH, FlowsModel
from azkaban_sandbox.responses.call import Call, allowed
from azkaban_sandbox.responses.params import require
from azkaban_sandbox.store import ProjectRecord


def flow_info(
    flows: FlowsModel, project: ProjectRecord, flow_id: str, depth: int = 0
) -> dict[str, Any]:
    """`fillFlowInfo`: {"flow", "nodes"} with embedded flows nested, or {"error"}."""
    graph = flows.graph(project, flow_id)
    if graph is None or depth > MAX_DEPTH:
        return {"error": errors.FLOW_NOT_FOUND.format(flow=flow_id, project=project.name)}
    nodes = []
    for node in graph.nodes:
        obj: dict[str, Any] = {"id": node.id, "type": node.type}
        if node.in_:
            obj["in"] = list(node.in_)
        if node.condition:
            obj["condition"] = node.condition
        if node.embedded:
            obj["flowId"] = node.embedded
            obj.update(flow_info(flows, project, node.embedded, depth + 1))
        nodes.append(obj)
    return {"flow": flow_id, "nodes": nodes}


def fetch_project_flows(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=fetchprojectflows`: top-level flows only."""
    if allowed(call, project, "READ", ret):
        ret["flows"] = [{"flowId": f} for f in call.backend.flows.ids(project)]


def fetch_flow_graph(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=fetchflowgraph`: nodes sorted by id, embedded flows nested."""
    if allowed(call, project, "READ", ret):
        ret.update(flow_info(call.backend.flows, project, require(call.req, "flow")))


def fetch_flow_jobs(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=fetchflowjobs` (used by the PyPI `azkaban` client); a missing flow is an NPE."""
    if not allowed(call, project, "READ", ret):
        return
    flow_id = require(call.req, "flow")
    jobs = call.backend.flows.jobs(project, flow_id)
    if jobs is None:
        raise errors.ServerCrash("java.lang.NullPointerException")
    nodes = [
        {
            "id": j.id,
            "type": j.type,
            "dependencies": list(j.dependencies),
            "dependents": list(j.dependents),
            "level": j.level,
        }
        for j in jobs
    ]
    ret.update(flowId=flow_id, nodes=nodes, isLocked=False)

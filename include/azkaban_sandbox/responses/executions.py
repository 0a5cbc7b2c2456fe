"""Execution endpoints of `/executor` (ExecutorServlet) and `fetchFlowExecutions` of /manager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.models.executions import ExecNode, ExecutionView
from azkaban_sandbox.responses.call import Call, Handler, allowed
from azkaban_sandbox.responses.params import options_or_error, require, require_int
from azkaban_sandbox.store import ExecutionRecord, ProjectRecord
from azkaban_sandbox.wire import Reply, pretty_json


def execute_flow(call: Call) -> Reply:
    """`ajax=executeFlow` (GET or POST): success <=> no `error` and `execid` > 0."""
    project = require(call.req, "project")
    flow = require(call.req, "flow")
    options, option_error = options_or_error(call.req)
    ret: dict[str, Any] = {"project": project}
    try:
        sub = call.backend.executions.execute(call.user, project, flow, options, option_error)
    except errors.SubmitRefused as exc:
        if exc.flow_known:
            ret["flow"] = flow
        ret["error"] = exc.message
        if exc.execid is not None:
            ret["execid"] = exc.execid
        return pretty_json(ret)
    ret.update(flow=flow, execid=sub.exec_id, message=sub.message)
    return pretty_json(ret)


def get_running(call: Call) -> Reply:
    """`ajax=getRunning&project=P&flow=F`: {"execIds": [...]} or {} when nothing runs."""
    project = require(call.req, "project")
    flow = require(call.req, "flow")
    try:
        ids = call.backend.executions.running(call.user, project, flow)
    except errors.AccessDenied as exc:
        return pretty_json({"error": exc.message})
    return pretty_json({"execIds": ids} if ids else {})


def execid_ajax(handler: Callable[[Call, ExecutionRecord], dict[str, Any]]) -> Handler:
    """Execid-based ajax: unknown id -> "Cannot find execution"; no execid -> echo project."""

    def wrapped(call: Call) -> Reply:
        if not call.req.has("execid"):
            return pretty_json({"project": require(call.req, "project")})
        exec_id = require_int(call.req, "execid")
        executions = call.backend.executions
        rec = executions.get(exec_id)
        if rec is None:
            return pretty_json({"error": errors.EXEC_NOT_FOUND.format(execid=exec_id)})
        try:
            executions.check_read(call.user, rec)
            return pretty_json(handler(call, rec))
        except errors.ModelError as exc:  # AccessDenied, or a refusal of the handler
            return pretty_json({"error": exc.message})

    wrapped.__doc__ = handler.__doc__
    return wrapped


def _node_json(item: ExecNode, view: ExecutionView) -> dict[str, Any]:
    t, node = view.timeline, item.node
    obj: dict[str, Any] = {
        "id": node.id,
        "nestedId": item.nested_id or node.id,
        "type": node.type,
        "status": item.status,
        "startTime": t.start if item.start is None else item.start,
        "endTime": t.end if item.end is None else item.end,
        "updateTime": view.now_ms,
        "attempt": item.attempt,
    }
    if node.in_:
        obj["in"] = list(node.in_)
    if node.embedded:
        obj["flowId"] = node.embedded
        obj["flow"] = node.embedded
        obj["nodes"] = [_node_json(child, view) for child in item.children]
    return obj


def fetch_exec_flow(call: Call, rec: ExecutionRecord) -> dict[str, Any]:
    """`ajax=fetchexecflow&execid=N`: flow node info with nested nodes."""
    view = call.backend.executions.view(rec)
    t = view.timeline
    return {
        "execid": rec.exec_id,
        "projectId": rec.project_id,
        "project": rec.project_name,
        "submitUser": rec.submit_user,
        "submitTime": rec.submit_time,
        "id": rec.flow_id,
        "flowId": rec.flow_id,
        "flow": rec.flow_id,
        "nestedId": rec.flow_id,
        "type": None,
        "status": t.status,
        "startTime": t.start,
        "endTime": t.end,
        "updateTime": view.now_ms,
        "attempt": 0,
        "nodes": [_node_json(item, view) for item in view.nodes],
    }


def cancel_flow(call: Call, rec: ExecutionRecord) -> dict[str, Any]:
    """`ajax=cancelFlow&execid=N`: {} on success."""
    call.backend.executions.cancel(call.user, rec)
    return {}


def fetch_exec_flow_logs(call: Call, rec: ExecutionRecord) -> dict[str, Any]:
    """`ajax=fetchExecFlowLogs&execid=N&offset=O&length=L` (synthetic log)."""
    offset = require_int(call.req, "offset")
    length = require_int(call.req, "length")
    text = call.backend.executions.log(rec)
    data = text.encode("utf-8")[offset : offset + max(length, 0)].decode("utf-8", "ignore")
    return {"data": data, "offset": offset, "length": len(data.encode("utf-8"))}


def project_echo(call: Call) -> Reply:
    """Other /executor ajax names: `project` is required, then only echoed."""
    return pretty_json({"project": require(call.req, "project")})


def fetch_flow_executions(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=fetchFlowExecutions` (/manager): `start`/`length` required ints, newest first."""
    if not allowed(call, project, "READ", ret):
        return
    flow = require(call.req, "flow")
    start, length = require_int(call.req, "start"), require_int(call.req, "length")
    page = call.backend.executions.page(project, flow, start, length)
    executions = [
        {
            "execId": rec.exec_id,
            "flowId": rec.flow_id,
            "projectId": rec.project_id,
            "status": t.status,
            "submitTime": rec.submit_time,
            "startTime": t.start,
            "endTime": t.end,
            "submitUser": rec.submit_user,
        }
        for rec, t in page.items
    ]
    ret.update(
        {
            "project": project.name,
            "projectId": project.id,
            "flow": flow,
            "from": start,
            "length": length,
            "total": page.total,
            "executions": executions,
        }
    )

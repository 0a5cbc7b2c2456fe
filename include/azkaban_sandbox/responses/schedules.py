"""Schedule endpoints of `/schedule` (ScheduleServlet)."""

from __future__ import annotations

from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.clock import format_local
from azkaban_sandbox.models.schedules import DEFAULT_END_SCHED_TIME, CronRequest
from azkaban_sandbox.responses.call import Call
from azkaban_sandbox.responses.params import options_bean, options_or_error, require, require_int
from azkaban_sandbox.wire import FAILURE_COOKIE, SUCCESS_COOKIE, Reply, pretty_json, set_cookie


def _end_time(value: str | None) -> int:
    return int(value) if value and value.lstrip("-").isdigit() else DEFAULT_END_SCHED_TIME


def schedule_cron_flow(call: Call) -> Reply:
    """`ajax=scheduleCronFlow` (GET or POST)."""
    project = require(call.req, "projectName")
    flow = require(call.req, "flow")
    cron = call.req.param("cronExpression") if call.req.has("cronExpression") else None
    options, option_error = options_or_error(call.req)
    ask = CronRequest(
        project, flow, cron, _end_time(call.req.param("endSchedTime")), options, option_error
    )
    try:
        result = call.backend.schedules.schedule_cron(call.user, ask)
    except errors.InvalidCron as exc:
        return pretty_json({"error": exc.message})
    except errors.ScheduleRefused as exc:
        return pretty_json({"status": "error", "message": exc.message})
    ret: dict[str, Any] = {} if result.error is None else {"error": result.error}
    ret.update(
        status="success",
        scheduleId=result.schedule_id,
        message=errors.SCHED_OK.format(project=project, flow=flow),
    )
    return pretty_json(ret)


def fetch_schedule(call: Call) -> Reply:
    """`ajax=fetchSchedule&projectId=N&flowId=F` (no permission check): {} or {"schedule"}."""
    project_id = require_int(call.req, "projectId")
    view = call.backend.schedules.find(project_id, require(call.req, "flowId"))
    if view is None:
        return pretty_json({})
    rec = view.record
    schedule = {
        "scheduleId": str(rec.schedule_id),
        "submitUser": rec.submit_user,
        "firstSchedTime": format_local(rec.first_sched_time),
        "nextExecTime": format_local(view.next_exec_ms) if view.next_exec_ms else None,
        "period": "null",
        "cronExpression": rec.cron,
        "executionOptions": options_bean(view.options),
        "backExecuteOnce": rec.back_execute_once,
    }
    return pretty_json({"schedule": schedule})


def fetch_schedules(call: Call) -> Reply:
    """`ajax=fetchSchedules` / `ajax=loadFlow`: {} or {"items": [...]}, no permission filter."""
    items = [
        {
            "scheduleId": rec.schedule_id,
            "flowname": rec.flow_id,
            "projectname": rec.project_name,
            "time": rec.first_sched_time,
            "cron": rec.cron,
            "period": 0,
            "history": False,
        }
        for rec in call.backend.schedules.all()
    ]
    return pretty_json({"items": items} if items else {})


def remove_schedule(call: Call) -> Reply:
    """`POST /schedule action=removeSched&scheduleId=N` (also sets a message cookie)."""
    schedule_id = require_int(call.req, "scheduleId")
    try:
        rec = call.backend.schedules.remove(call.user, schedule_id)
    except errors.ScheduleRefused as exc:
        reply = pretty_json({"status": "error", "message": exc.message})
        reply.headers.append(set_cookie(FAILURE_COOKIE, exc.message))
        return reply
    message = errors.REMOVE_OK.format(flow=rec.flow_id)
    reply = pretty_json({"status": "success", "message": message})
    reply.headers.append(set_cookie(SUCCESS_COOKIE, message))
    return reply

"""Request parameters as `HttpRequestUtils` reads them, and the flow options of executions."""

from __future__ import annotations

import json
import re
from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.models.options import ExecOptions
from azkaban_sandbox.wire import Request

FAILURE_ACTIONS = {
    "finishCurrent": "FINISH_CURRENTLY_RUNNING",
    "cancelImmediately": "CANCEL_ALL",
    "finishPossible": "FINISH_ALL_POSSIBLE",
}


def require(req: Request, name: str) -> str:
    """`getParam`: a missing parameter is a ServletException (Jetty 500 page)."""
    value = req.param(name)
    if value is None:
        raise errors.MissingParameter(name)
    return value


def require_int(req: Request, name: str) -> int:
    """`getIntParam(req, name)`: missing -> 500; not a number -> NumberFormatException 500."""
    value = require(req, name)
    try:
        return int(value)
    except ValueError as exc:
        raise errors.ServerCrash(
            "java.lang.NumberFormatException", f'For input string: "{value}"'
        ) from exc


def int_param(req: Request, name: str, default: int) -> int:
    """`getIntParam(req, name, default)`: parse errors fall back to the default."""
    try:
        return int(req.param(name) or "")
    except ValueError:
        return default


def bool_param(req: Request, name: str, default: bool) -> bool:
    """`getBooleanParam`: Boolean.parseBoolean, default when absent."""
    value = req.param(name)
    return default if value is None else value.strip().lower() == "true"


def _emails(value: str | None) -> list[str]:
    return [e for e in re.split(r"[\s,;]+", value or "") if e]


def _disabled(req: Request) -> list[Any]:
    try:
        disabled = json.loads(req.param("disabled") or "")
    except ValueError as exc:
        raise ValueError(str(exc)) from exc
    return disabled if isinstance(disabled, list) else []


def parse_flow_options(req: Request) -> ExecOptions:
    """`HttpRequestUtils.parseFlowOptions`; raises ValueError with the parse error text."""
    opts = ExecOptions()
    if req.has("disabled"):
        opts.disabled_jobs = _disabled(req)
    opts.success_emails = _emails(req.param("successEmails"))
    opts.failure_emails = _emails(req.param("failureEmails"))
    opts.success_emails_override = bool_param(req, "successEmailsOverride", False)
    opts.failure_emails_override = bool_param(req, "failureEmailsOverride", False)
    opts.notify_failure_first = bool_param(req, "notifyFailureFirst", False)
    opts.notify_failure_last = bool_param(req, "notifyFailureLast", False)
    action = req.param("failureAction")
    if action is not None:
        opts.failure_action = FAILURE_ACTIONS.get(action, opts.failure_action)
    opts.concurrent_option = req.param("concurrentOption") or "skip"
    if opts.concurrent_option == "pipeline":
        try:
            opts.pipeline_level = require_int(req, "pipelineLevel")
        except (errors.MissingParameter, errors.ServerCrash) as exc:
            raise ValueError(str(exc)) from exc
    opts.queue_level = int_param(req, "queueLevel", 0)
    opts.flow_parameters = req.prefixed("flowOverride")
    return opts


def options_or_error(req: Request) -> tuple[ExecOptions | None, str | None]:
    """Parsed options, or None and the parse error text."""
    try:
        return parse_flow_options(req), None
    except ValueError as exc:
        return None, str(exc)


def options_bean(opts: ExecOptions) -> dict[str, Any]:
    """The ExecutionOptions bean as Jackson writes it (subset of its properties)."""
    return {
        "concurrentOption": opts.concurrent_option,
        "pipelineLevel": opts.pipeline_level,
        "queueLevel": opts.queue_level,
        "failureAction": opts.failure_action,
        "disabledJobs": opts.disabled_jobs,
        "successEmails": opts.success_emails,
        "failureEmails": opts.failure_emails,
        "successEmailsOverridden": opts.success_emails_override,
        "failureEmailsOverridden": opts.failure_emails_override,
        "notifyOnFirstFailure": opts.notify_failure_first,
        "notifyOnLastFailure": opts.notify_failure_last,
        "flowParameters": opts.flow_parameters,
        "mailCreator": "default",
        "memoryCheck": True,
    }

"""The one place that turns an HTTP reply into parsed data or a typed exception.

Pure functions over `RawReply` (status, content type, body text, cookies): no HTTP here, so
every reply shape in docs/azkaban-reference.md is unit-testable.

Azkaban answers almost every application error with HTTP 200, so the verdict comes from the
body. The five shapes of an unknown/expired session (azkaban-reference §1.4) all become
`SessionExpired`:

1. GET with ``ajax=``            -> ``{"error" : "session"}``
2. GET without ``ajax``          -> the HTML login page (HTTP 200)
3. POST + X-Requested-With       -> ``{"status":"error","message":"Invalid Session. Need to
   re-login","action":"login"}`` (compact, no content type)
4. POST without that header      -> the HTML login page
5. multipart POST (upload)       -> text ``Login error. Need username and password``

Upload HTTP 500 verdict: a JSON body is the upload servlet's own answer (it caught the
exception; nothing was persisted). A validator report ("Validator ... reports errors:") or an
"Installation Failed.<br>..." message about the zip ("Error unzipping file.", ``.project``
problems, a rejection) is permanent (`UploadRejected`), unless the message names the
database/storage layer (SQL, "Error Chunking ... db", connection, timeout, deadlock), which is
`AzkabanServerError` (transient). A non-JSON 5xx (Jetty error page, proxy page) is transient.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NoReturn
from urllib.parse import unquote

from azkaban_seeder.azkaban import errors as e


class RequestKind(StrEnum):
    """How a request was sent; decides which session-expiry shapes are possible."""

    LOGIN = "login"  # url-encoded POST action=login
    AJAX_GET = "ajax_get"  # GET with ajax=...
    FORM_POST = "form_post"  # url-encoded POST with X-Requested-With
    MULTIPART = "multipart"  # multipart POST (upload)
    PAGE_GET = "page_get"  # GET without ajax (delete): 302 + message cookie expected


@dataclass(frozen=True)
class RawReply:
    """What came back on the wire, reduced to what the parsers need."""

    status: int
    content_type: str | None
    body: str
    cookies: Mapping[str, str] = field(default_factory=dict)
    location: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


SUCCESS_COOKIE = "azkaban.success.message"
FAILURE_COOKIE = "azkaban.failure.message"

_EXPIRED_MULTIPART = "Login error. Need username and password"
_PASSWORD_IN_QUERY = "Login error. Must pass username and password in request body"
# The login page is the only HTML page with a password field (§1.4 shapes 2 and 4).
_LOGIN_FORM = re.compile(r"""<input[^>]*type=["']?password""", re.IGNORECASE)
_INVALID_SESSION = "Invalid Session"

# The server's texts for a missing project (also searched in the HTML project page).
_PROJECT_MISSING = re.compile(
    r"Project .*(doesn't exist|does not exist|was already removed|not found)"
)

# Ordered: the first pattern found in an error text picks the exception class.
_ERROR_CLASSES: tuple[tuple[re.Pattern[str], type[e.AzkabanError]], ...] = tuple(
    (re.compile(pattern), cls)
    for pattern, cls in (
        (r"Incorrect Login|Potential DDoS", e.LoginFailed),
        (r"Project already exists", e.ProjectAlreadyExists),
        (r"Project names? (must start|cannot be empty)", e.InvalidProjectName),
        (r"Schedule with ID \S+ does not exist", e.ScheduleNotFound),
        (
            r"[Pp]ermission|doesn't have|does not have write|is not an ADMIN|locked out",
            e.PermissionDenied,
        ),
        (r"can not be parsed to quartz cron|Cron expression", e.InvalidCron),
        (r"Cannot find execution", e.ExecutionNotFound),
        (r"isn't running", e.ExecutionNotRunning),
        (r"[Ff]low \S+ (cannot be found|not found) in project", e.FlowNotFound),
        (_PROJECT_MISSING, e.ProjectNotFound),
        # create: DB insert failed; server-side, may pass on retry.
        (r"^Insert project", e.AzkabanServerError),
    )
)

# An upload 500 with a JSON body is the servlet's own verdict (it caught the install
# exception, nothing was persisted): permanent, except failures of the database/storage layer
# underneath, which may pass on a later attempt.
_TRANSIENT_INSTALL = re.compile(
    r"SQL|[Dd]atabase|\bdb\b|Chunking|[Cc]onnection|[Tt]ime ?out|[Tt]imed out|[Dd]eadlock"
    r"|Lock wait|[Ss]torage"
)
_VALIDATOR_HEADER = re.compile(r"^Validator .* reports (errors|warnings):$")
_REPORT_NOISE = {"Installation Failed.", "Too many errors to display."}


def classify(message: str, default: type[e.AzkabanError]) -> type[e.AzkabanError]:
    """The exception class for an Azkaban error text (first matching rule, else `default`)."""
    for pattern, cls in _ERROR_CLASSES:
        if pattern.search(message):
            return cls
    return default


def split_report(text: str) -> list[str]:
    """Split a ``<br>``-joined validator/installer report into its messages."""
    parts = (part.strip() for part in re.split(r"<br\s*/?>|\n", text))
    return [p for p in parts if p and p not in _REPORT_NOISE and not _VALIDATOR_HEADER.match(p)]


def error_text(payload: Mapping[str, Any]) -> str | None:
    """The error carried by a JSON reply: ``error`` key, or ``status: error`` + ``message``."""
    if payload.get("error") not in (None, ""):
        return str(payload["error"])
    if payload.get("status") == "error":
        return str(payload.get("message") or "unspecified error")
    return None


def _error(cls: type[e.AzkabanError], message: str, endpoint: str, raw: RawReply) -> e.AzkabanError:
    """An error of `cls` carrying the reply's endpoint, status and body."""
    return cls(message, endpoint=endpoint, status=raw.status, body=raw.body)


def _raise(
    message: str,
    endpoint: str,
    raw: RawReply,
    default: type[e.AzkabanError] = e.AzkabanRequestError,
) -> NoReturn:
    raise _error(classify(message, default), message, endpoint, raw)


def raise_for_error(
    endpoint: str,
    payload: Mapping[str, Any],
    raw: RawReply,
    default: type[e.AzkabanError] = e.AzkabanRequestError,
) -> None:
    """Raise the typed error if the JSON reply carries one (HTTP 200 errors included)."""
    message = error_text(payload)
    if message is not None:
        _raise(message, endpoint, raw, default)


def _looks_like_html(raw: RawReply) -> bool:
    head = raw.body.lstrip()[:200].lower()
    return "html" in (raw.content_type or "").lower() or head.startswith(("<!doctype", "<html"))


def _server_failure(endpoint: str, raw: RawReply) -> e.AzkabanError:
    """A 5xx/429 reply: our own bug if Jetty names a missing/invalid parameter, else transient."""
    if re.search(r"Missing required parameter|NumberFormatException", raw.body):
        return _error(
            e.AzkabanProtocolError,
            "server rejected the request parameters (client bug)",
            endpoint,
            raw,
        )
    return _error(e.AzkabanServerError, f"server error HTTP {raw.status}", endpoint, raw)


def _check_text_reply(endpoint: str, kind: RequestKind, raw: RawReply) -> NoReturn:
    """Verdict for a 200 reply that is not JSON (login page, login-error text, empty body)."""
    text = raw.body.strip()
    if text.startswith(_EXPIRED_MULTIPART):
        raise _error(e.SessionExpired, "session expired (multipart login error)", endpoint, raw)
    if text.startswith(_PASSWORD_IN_QUERY):
        raise _error(
            e.AzkabanProtocolError, "password sent in the query string (client bug)", endpoint, raw
        )
    if text.startswith("Login error"):
        raise _error(e.LoginFailed, text, endpoint, raw)
    if _looks_like_html(raw) and kind is not RequestKind.LOGIN:
        # §1.4: the login page is what an unauthenticated non-ajax request gets.
        raise _error(e.SessionExpired, "session expired (login page returned)", endpoint, raw)
    what = "an empty body" if not text else "a non-JSON body"
    raise _error(e.AzkabanProtocolError, f"expected JSON, got {what}", endpoint, raw)


def _decode_json(endpoint: str, raw: RawReply) -> dict[str, Any] | None:
    text = raw.body.strip()
    if not text.startswith("{"):
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        raise _error(e.AzkabanProtocolError, "malformed JSON reply", endpoint, raw) from None
    if not isinstance(payload, dict):
        raise _error(e.AzkabanProtocolError, "JSON reply is not an object", endpoint, raw)
    return payload


def _check_session_json(endpoint: str, payload: Mapping[str, Any], raw: RawReply) -> None:
    message = str(payload.get("message") or "")
    expired = payload.get("error") == "session" or (
        payload.get("status") == "error"
        and (payload.get("action") == "login" or message.startswith(_INVALID_SESSION))
    )
    if expired:
        raise _error(e.SessionExpired, "session expired", endpoint, raw)


def parse_json(endpoint: str, kind: RequestKind, raw: RawReply) -> dict[str, Any]:
    """Parse a JSON-answering endpoint; raise on transport-level verdicts and expired sessions.

    Application errors inside a 200 JSON body are NOT raised here (callers use
    `raise_for_error` with an endpoint-specific default class).
    """
    if raw.status >= 500 or raw.status == 429:
        raise _server_failure(endpoint, raw)
    if 300 <= raw.status < 400:
        raise _error(
            e.AzkabanProtocolError, f"unexpected redirect to {raw.location!r}", endpoint, raw
        )
    payload = _decode_json(endpoint, raw)
    if raw.status >= 400:
        message = error_text(payload or {}) or f"HTTP {raw.status}"
        _raise(message, endpoint, raw)
    if payload is None:
        _check_text_reply(endpoint, kind, raw)
    _check_session_json(endpoint, payload, raw)
    return payload


def parse_ok(
    endpoint: str,
    kind: RequestKind,
    raw: RawReply,
    default: type[e.AzkabanError] = e.AzkabanRequestError,
) -> dict[str, Any]:
    """`parse_json` + `raise_for_error`: the usual "JSON or typed error" endpoint."""
    payload = parse_json(endpoint, kind, raw)
    raise_for_error(endpoint, payload, raw, default)
    return payload


# --- endpoint-specific verdicts -----------------------------------------------------------


def parse_login(endpoint: str, raw: RawReply) -> str:
    """POST action=login -> the session id; ``{"error": "Incorrect Login. ..."}`` -> LoginFailed."""
    payload = parse_json(endpoint, RequestKind.LOGIN, raw)
    raise_for_error(endpoint, payload, raw, e.LoginFailed)
    session_id = payload.get("session.id")
    if payload.get("status") != "success" or not isinstance(session_id, str) or not session_id:
        raise e.AzkabanProtocolError(
            "login reply has no session.id",
            endpoint=endpoint,
            status=raw.status,
            body=_redact_session(raw.body),
        )
    return session_id


def _redact_session(body: str) -> str:
    return re.sub(r'("session\.id"\s*:\s*")[^"]*', r"\1***", body)


def parse_create(endpoint: str, raw: RawReply) -> None:
    """POST /manager action=create: compact JSON, ``status`` success or error + message."""
    payload = parse_ok(endpoint, RequestKind.FORM_POST, raw)
    if payload.get("status") != "success":
        raise _error(e.AzkabanProtocolError, "create reply without status success", endpoint, raw)


def _upload_failure(endpoint: str, raw: RawReply, message: str) -> e.AzkabanError:
    kwargs: dict[str, Any] = {"endpoint": endpoint, "status": raw.status, "body": raw.body}
    if raw.status == 410:
        return e.ProjectNotFound(message, **kwargs)
    if raw.status == 403 or "write access" in message:
        return e.PermissionDenied(message, **kwargs)
    if (
        raw.status >= 500
        and "reports errors:" not in message
        and _TRANSIENT_INSTALL.search(message)
    ):
        return e.AzkabanServerError(f"upload failed on the server: {message}", **kwargs)
    if raw.status == 400 and "No project name found" in message:
        return e.AzkabanProtocolError(message, **kwargs)
    report = split_report(message)
    summary = report[0] if len(report) == 1 else f"{len(report)} problems"
    return e.UploadRejected(f"upload rejected: {summary}", report=report, **kwargs)


def parse_upload(endpoint: str, raw: RawReply) -> dict[str, str]:
    """Multipart POST /manager ajax=upload -> ``{"projectId": str, "version": str[, "warn"]}``.

    Statuses 400/403/410/500 carry ``{"error": ...}``; all values are strings.
    """
    payload = _decode_json(endpoint, raw)
    if payload is None:
        if raw.status >= 500 or raw.status == 429:
            raise _server_failure(endpoint, raw)
        if raw.status == 200:
            _check_text_reply(endpoint, RequestKind.MULTIPART, raw)
        raise _error(e.AzkabanProtocolError, "upload reply is not JSON", endpoint, raw)
    _check_session_json(endpoint, payload, raw)
    message = error_text(payload)
    if message is not None or raw.status != 200:
        raise _upload_failure(endpoint, raw, message or f"HTTP {raw.status}")
    if "projectId" not in payload or "version" not in payload:
        raise _error(e.AzkabanProtocolError, "upload reply lacks projectId/version", endpoint, raw)
    result = {"projectId": str(payload["projectId"]), "version": str(payload["version"])}
    if payload.get("warn"):
        result["warn"] = str(payload["warn"])
    return result


def parse_schedule(endpoint: str, raw: RawReply) -> int:
    """ajax=scheduleCronFlow -> scheduleId. An ``error`` key wins even beside status success."""
    payload = parse_ok(endpoint, RequestKind.FORM_POST, raw)
    schedule_id = as_int(payload.get("scheduleId"))
    if payload.get("status") != "success" or schedule_id is None or schedule_id <= 0:
        raise _error(
            e.AzkabanProtocolError, "schedule reply without a positive scheduleId", endpoint, raw
        )
    return schedule_id


def parse_execute(endpoint: str, raw: RawReply) -> int:
    """ajax=executeFlow -> execid. Success iff no ``error`` and ``execid`` > 0 (§4.10)."""
    payload = parse_ok(endpoint, RequestKind.FORM_POST, raw, e.ExecutionRejected)
    exec_id = as_int(payload.get("execid"))
    if exec_id is None or exec_id <= 0:
        message = str(payload.get("message") or "no execution id returned")
        raise _error(e.ExecutionRejected, message, endpoint, raw)
    return exec_id


def parse_status_reply(endpoint: str, raw: RawReply) -> str:
    """``{"status": "success"|"error", "message": ...}`` replies (e.g. removeSched)."""
    payload = parse_ok(endpoint, RequestKind.FORM_POST, raw)
    if payload.get("status") != "success":
        raise _error(e.AzkabanProtocolError, "reply without status success", endpoint, raw)
    return str(payload.get("message") or "")


def cookie_message(value: str) -> str:
    """Decode a Jetty message cookie value (quoted and/or percent-encoded)."""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if "%" in text or ("+" in text and " " not in text):
        text = unquote(text.replace("+", " "))
    return text


def parse_delete(endpoint: str, raw: RawReply) -> str:
    """GET /manager?delete=true: a 302 whose message cookie carries the verdict."""
    if 300 <= raw.status < 400:
        if FAILURE_COOKIE in raw.cookies:
            _raise(cookie_message(raw.cookies[FAILURE_COOKIE]), endpoint, raw)
        if SUCCESS_COOKIE in raw.cookies:
            return cookie_message(raw.cookies[SUCCESS_COOKIE])
        raise _error(
            e.AzkabanProtocolError, "delete redirect without a message cookie", endpoint, raw
        )
    if raw.status >= 500 or raw.status == 429:
        raise _server_failure(endpoint, raw)
    if raw.status == 200:
        _check_text_reply(endpoint, RequestKind.PAGE_GET, raw)
    raise _error(e.AzkabanProtocolError, "delete did not redirect", endpoint, raw)


def parse_project_page(endpoint: str, name: str, raw: RawReply) -> str:
    """GET /manager?project=P (HTML): the page text; login page -> `SessionExpired`."""
    if raw.status >= 500 or raw.status == 429:
        raise _server_failure(endpoint, raw)
    if raw.status != 200 or not _looks_like_html(raw):
        raise _error(e.AzkabanProtocolError, "expected the HTML project page", endpoint, raw)
    if _LOGIN_FORM.search(raw.body):
        _check_text_reply(endpoint, RequestKind.PAGE_GET, raw)
    if _PROJECT_MISSING.search(raw.body):
        raise _error(e.ProjectNotFound, f"Project {name} doesn't exist.", endpoint, raw)
    return raw.body


def as_int(value: Any) -> int | None:
    """Azkaban mixes ints and numeric strings for ids; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


# --- the read side (the read-only profiler, reference §10) ---------------------------------
# Every reply is checked field by field: a server that answers something else than Azkaban's
# shape gets an `AzkabanProtocolError` naming the endpoint and the field, never a KeyError.

_MAX_GRAPH_DEPTH = 32  # embedded flows nest a few levels; deeper means a broken reply


@dataclass(frozen=True)
class ProjectRef:
    """One project of ``fetchallprojects``: its name (to address calls) and id."""

    name: str
    id: int


@dataclass(frozen=True)
class GraphNodeInfo:
    """One node of ``fetchflowgraph``: upstream ids (``in``) and, for an embedded flow node,
    the embedded ``flowId`` and its nodes (same shape, sorted by id)."""

    id: str
    type: str
    in_: tuple[str, ...] = ()
    flow_id: str | None = None
    nodes: tuple[GraphNodeInfo, ...] | None = None


@dataclass(frozen=True)
class ScheduledFlow:
    """One item of ``fetchSchedules``: project and flow as spelled when scheduled, the cron."""

    project: str
    flow: str
    cron: str | None


@dataclass(frozen=True)
class ExecutionRow:
    """One row of ``fetchFlowExecutions``; times are epoch ms, -1 when unset."""

    exec_id: int
    status: str
    submit_ms: int
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class ExecutionsPage:
    """One page of ``fetchFlowExecutions`` (newest first): ``total`` rows exist in all."""

    total: int
    start: int
    rows: tuple[ExecutionRow, ...]


@dataclass(frozen=True)
class JobRunInfo:
    """One job of ``fetchexecflow`` (embedded flows flattened; ``nested_id`` is the path)."""

    nested_id: str
    type: str
    status: str
    start_ms: int
    end_ms: int
    attempt: int = 0


@dataclass(frozen=True)
class ExecFlowInfo:
    """``fetchexecflow``: the execution's status and times and its jobs."""

    exec_id: int
    status: str
    submit_ms: int
    start_ms: int
    end_ms: int
    jobs: tuple[JobRunInfo, ...]


def _shape_error(endpoint: str, raw: RawReply, problem: str) -> e.AzkabanProtocolError:
    return e.AzkabanProtocolError(
        f"unexpected {endpoint} reply: {problem}",
        endpoint=endpoint,
        status=raw.status,
        body=raw.body,
    )


class _Reader:
    """Typed field access on one reply; a wrong shape raises `AzkabanProtocolError`."""

    def __init__(self, endpoint: str, raw: RawReply) -> None:
        self.endpoint = endpoint
        self.raw = raw

    def fail(self, problem: str) -> NoReturn:
        raise _shape_error(self.endpoint, self.raw, problem)

    def obj(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            self.fail(f"{where} is not an object")
        return value

    def items(self, payload: Mapping[str, Any], key: str, where: str) -> list[Any]:
        """A list field; absent counts as empty (Azkaban leaves empty lists out)."""
        value = payload.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{where}{key} is not a list")
        return value

    def text(self, payload: Mapping[str, Any], key: str, where: str) -> str:
        value = payload.get(key)
        if not isinstance(value, str) or not value:
            self.fail(f"{where}{key} is missing or not a non-empty string")
        return value

    def integer(self, payload: Mapping[str, Any], key: str, where: str) -> int:
        value = as_int(payload.get(key))
        if value is None:
            self.fail(f"{where}{key} is missing or not an integer")
        return value

    def optional_text(self, payload: Mapping[str, Any], key: str, where: str) -> str | None:
        value = payload.get(key)
        if value is None or isinstance(value, str):
            return value
        self.fail(f"{where}{key} is not a string")


def parse_project_list(endpoint: str, raw: RawReply) -> list[ProjectRef]:
    """GET /index ajax=fetchallprojects -> ``{"projects": [{"projectId", "projectName"}]}``."""
    payload = parse_ok(endpoint, RequestKind.AJAX_GET, raw)
    r = _Reader(endpoint, raw)
    if "projects" not in payload:
        r.fail("no projects list")
    out = []
    for i, item in enumerate(r.items(payload, "projects", "")):
        where = f"projects[{i}]."
        p = r.obj(item, where[:-1])
        out.append(ProjectRef(r.text(p, "projectName", where), r.integer(p, "projectId", where)))
    return out


def parse_flow_list(endpoint: str, raw: RawReply) -> list[str]:
    """GET /manager ajax=fetchprojectflows -> the top-level flow ids, sorted."""
    payload = parse_ok(endpoint, RequestKind.AJAX_GET, raw)
    r = _Reader(endpoint, raw)
    flows = [
        r.text(r.obj(item, f"flows[{i}]"), "flowId", f"flows[{i}].")
        for i, item in enumerate(r.items(payload, "flows", ""))
    ]
    return sorted(flows)


def _graph_nodes(
    r: _Reader, payload: Mapping[str, Any], where: str, depth: int
) -> tuple[GraphNodeInfo, ...]:
    if depth > _MAX_GRAPH_DEPTH:
        r.fail(f"{where}nodes nest deeper than {_MAX_GRAPH_DEPTH} embedded flows")
    raw_error = payload.get("error")
    if raw_error:
        r.fail(f"{where.rstrip('.') or 'graph'} carries an error: {raw_error}")
    nodes = []
    for i, item in enumerate(r.items(payload, "nodes", where)):
        at = f"{where}nodes[{i}]."
        node = r.obj(item, at[:-1])
        upstream = r.items(node, "in", at)
        if not all(isinstance(u, str) for u in upstream):
            r.fail(f"{at}in holds a non-string id")
        flow_id = r.optional_text(node, "flowId", at)
        nested = _graph_nodes(r, node, at, depth + 1) if flow_id is not None else None
        nodes.append(
            GraphNodeInfo(
                r.text(node, "id", at), r.text(node, "type", at), tuple(upstream), flow_id, nested
            )
        )
    return tuple(sorted(nodes, key=lambda n: n.id))


def parse_flow_graph(endpoint: str, raw: RawReply) -> tuple[GraphNodeInfo, ...]:
    """GET /manager ajax=fetchflowgraph -> nodes sorted by id, embedded flows nested."""
    payload = parse_ok(endpoint, RequestKind.AJAX_GET, raw, e.FlowNotFound)
    r = _Reader(endpoint, raw)
    if "nodes" not in payload:
        r.fail("no nodes list")
    return _graph_nodes(r, payload, "", 0)


def parse_schedule_list(endpoint: str, raw: RawReply) -> list[ScheduledFlow]:
    """GET /schedule ajax=fetchSchedules -> ``{}`` or ``{"items": [{"projectname",
    "flowname", "cron", ...}]}``."""
    payload = parse_ok(endpoint, RequestKind.AJAX_GET, raw)
    r = _Reader(endpoint, raw)
    out = []
    for i, item in enumerate(r.items(payload, "items", "")):
        where = f"items[{i}]."
        s = r.obj(item, where[:-1])
        out.append(
            ScheduledFlow(
                r.text(s, "projectname", where),
                r.text(s, "flowname", where),
                r.optional_text(s, "cron", where),
            )
        )
    return out


def parse_single_schedule(endpoint: str, raw: RawReply) -> str | None:
    """GET /schedule ajax=fetchSchedule -> the ``cronExpression`` of ``schedule``, or None
    for ``{}`` (no schedule)."""
    payload = parse_ok(endpoint, RequestKind.AJAX_GET, raw)
    r = _Reader(endpoint, raw)
    if not payload.get("schedule"):
        return None
    return r.optional_text(r.obj(payload["schedule"], "schedule"), "cronExpression", "schedule.")


def _execution_row(r: _Reader, item: Any, where: str) -> ExecutionRow:
    row = r.obj(item, where[:-1])
    return ExecutionRow(
        r.integer(row, "execId", where),
        r.text(row, "status", where),
        r.integer(row, "submitTime", where),
        r.integer(row, "startTime", where),
        r.integer(row, "endTime", where),
    )


def parse_flow_executions(endpoint: str, raw: RawReply) -> ExecutionsPage:
    """GET /manager ajax=fetchFlowExecutions -> ``{"total", "from", "length", "executions":
    [{"execId", "status", "submitTime", "startTime", "endTime", ...}]}`` (newest first)."""
    payload = parse_ok(endpoint, RequestKind.AJAX_GET, raw, e.FlowNotFound)
    r = _Reader(endpoint, raw)
    if "executions" not in payload:
        r.fail("no executions list")
    rows = tuple(
        _execution_row(r, item, f"executions[{i}].")
        for i, item in enumerate(r.items(payload, "executions", ""))
    )
    total = r.integer(payload, "total", "")
    if total < len(rows):
        r.fail(f"total {total} is smaller than the {len(rows)} rows sent")
    return ExecutionsPage(total, r.integer(payload, "from", ""), rows)


def _exec_jobs(r: _Reader, payload: Mapping[str, Any], where: str, depth: int) -> list[JobRunInfo]:
    if depth > _MAX_GRAPH_DEPTH:
        r.fail(f"{where}nodes nest deeper than {_MAX_GRAPH_DEPTH} embedded flows")
    jobs: list[JobRunInfo] = []
    for i, item in enumerate(r.items(payload, "nodes", where)):
        at = f"{where}nodes[{i}]."
        node = r.obj(item, at[:-1])
        if "nodes" in node:  # an embedded flow: its jobs count, the container does not
            jobs += _exec_jobs(r, node, at, depth + 1)
            continue
        node_id = r.text(node, "id", at)
        jobs.append(
            JobRunInfo(
                r.optional_text(node, "nestedId", at) or node_id,
                r.text(node, "type", at),
                r.text(node, "status", at),
                r.integer(node, "startTime", at),
                r.integer(node, "endTime", at),
                as_int(node.get("attempt")) or 0,
            )
        )
    return jobs


def parse_exec_flow(endpoint: str, raw: RawReply) -> ExecFlowInfo:
    """GET /executor ajax=fetchexecflow -> the execution's status, times and jobs (embedded
    flows flattened). ``{"error": "Cannot find execution 'N'"}`` -> `ExecutionNotFound`."""
    payload = parse_ok(endpoint, RequestKind.AJAX_GET, raw, e.ExecutionNotFound)
    r = _Reader(endpoint, raw)
    return ExecFlowInfo(
        r.integer(payload, "execid", ""),
        r.text(payload, "status", ""),
        r.integer(payload, "submitTime", ""),
        r.integer(payload, "startTime", ""),
        r.integer(payload, "endTime", ""),
        tuple(_exec_jobs(r, payload, "", 0)),
    )

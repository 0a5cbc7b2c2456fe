"""The read-only client: the whitelist gate, no redirects, gentleness (semaphore, token
bucket, back-off, budget), one login, bounded transient-only retries, strict reply parsing."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests
from standin import READER, READER_PASSWORD, OddServer, reader_config

from azkaban_sandbox import SandboxServer
from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban import replies
from azkaban_seeder.azkaban.readonly import (
    WHITELIST,
    BudgetExhausted,
    Gentleness,
    ReadOnlyClient,
    ReadOnlyViolation,
    TokenBucket,
    check_request,
)
from azkaban_seeder.azkaban.replies import RawReply, RequestKind
from azkaban_seeder.azkaban.retry import RetryPolicy

FAST = RetryPolicy(attempts=3, max_seconds=10).with_waits(0)

# ------------------------------------------------------------------------ the whitelist gate

ALLOWED = [
    ("POST", "/", None, {"action": "login", "username": "u", "password": "p"}),
    ("GET", "/index", {"ajax": "fetchallprojects"}, None),
    ("GET", "/manager", {"ajax": "fetchprojectflows", "project": "p"}, None),
    ("GET", "/manager", {"ajax": "fetchflowgraph", "project": "p", "flow": "f"}, None),
    ("GET", "/schedule", {"ajax": "fetchSchedules"}, None),
    ("GET", "/schedule", {"ajax": "fetchSchedule", "projectId": 1, "flowId": "f"}, None),
    (
        "GET",
        "/manager",
        {"ajax": "fetchFlowExecutions", "project": "p", "flow": "f", "start": 0, "length": 10},
        None,
    ),
    ("GET", "/executor", {"ajax": "fetchexecflow", "execid": 7}, None),
]


def test_the_whitelist_is_exactly_the_eight_read_calls() -> None:
    assert sorted(WHITELIST) == sorted(
        [
            "login",
            "fetchallprojects",
            "fetchprojectflows",
            "fetchflowgraph",
            "fetchSchedules",
            "fetchSchedule",
            "fetchFlowExecutions",
            "fetchexecflow",
        ]
    )
    assert [c.method for c in WHITELIST.values()].count("POST") == 1


@pytest.mark.parametrize(("method", "path", "params", "data"), ALLOWED)
def test_whitelisted_calls_pass_the_gate(method: str, path: str, params: Any, data: Any) -> None:
    assert check_request(method, path, params, data) in WHITELIST.values()


REFUSED = [
    # writes that are GETs on Azkaban (reference §10): delete, executeFlow, cancel, schedule
    ("GET", "/manager", {"delete": "true", "project": "p"}, None),
    ("GET", "/manager", {"ajax": "fetchprojectflows", "project": "p", "delete": "true"}, None),
    ("GET", "/executor", {"ajax": "executeFlow", "project": "p", "flow": "f"}, None),
    ("GET", "/executor", {"ajax": "cancelFlow", "execid": 1}, None),
    ("GET", "/schedule", {"ajax": "scheduleCronFlow", "projectName": "p", "flow": "f"}, None),
    ("GET", "/manager", {"ajax": "purgeProject", "project": "p"}, None),
    # reads outside the whitelist (job properties hold commands and secrets)
    ("GET", "/manager", {"ajax": "fetchflownodedata", "project": "p", "flow": "f"}, None),
    ("GET", "/schedule", {}, None),  # the HTML page that walks every schedule
    ("GET", "/", {"logout": "true"}, None),
    # right name, wrong servlet or method
    ("GET", "/index", {"ajax": "fetchflowgraph", "project": "p", "flow": "f"}, None),
    ("POST", "/manager", None, {"ajax": "fetchflowgraph", "project": "p", "flow": "f"}),
    ("GET", "/", {"action": "login", "username": "u", "password": "p"}, None),
    ("POST", "/manager", None, {"action": "create", "name": "p", "description": "d"}),
    ("POST", "/", {"action": "login"}, {"action": "login", "username": "u", "password": "p"}),
    ("POST", "/manager", None, b"multipart bytes"),
    ("DELETE", "/manager", {"ajax": "fetchprojectflows", "project": "p"}, None),
    ("GET", "/manager", {"ajax": "fetchprojectflows", "project": "p"}, {"body": "x"}),
    # an extra parameter on a whitelisted call
    ("GET", "/executor", {"ajax": "fetchexecflow", "execid": 1, "session.id": "x"}, None),
]


@pytest.mark.parametrize(("method", "path", "params", "data"), REFUSED)
def test_everything_else_is_refused_by_the_gate(
    method: str, path: str, params: Any, data: Any
) -> None:
    with pytest.raises(ReadOnlyViolation, match="refused"):
        check_request(method, path, params, data)


def test_a_refused_request_never_reaches_the_server(odd_server: OddServer) -> None:
    client = ReadOnlyClient(odd_server.settings(), Gentleness(rate=1000), FAST)
    client.login()
    before = list(odd_server.seen)
    with pytest.raises(ReadOnlyViolation):
        client.transport.send(
            "delete project",
            "GET",
            "/manager",
            kind=RequestKind.PAGE_GET,
            params={"delete": "true", "project": "billing_etl"},
        )
    with pytest.raises(ReadOnlyViolation):
        client.transport.send(
            "execute", "POST", "/executor", kind=RequestKind.FORM_POST, data={"ajax": "executeFlow"}
        )
    assert odd_server.seen == before
    assert client.stats.retries == {}  # a violation is never retried


def test_a_headers_only_download_goes_through_the_gate_too(odd_server: OddServer) -> None:
    # The transport's headers-only GET (a project download) used to be a second exchange
    # path that the read-only subclass did not see; now every request passes the gate.
    client = ReadOnlyClient(odd_server.settings(), Gentleness(rate=1000), FAST)
    client.login()
    before = list(odd_server.seen)
    with pytest.raises(ReadOnlyViolation, match="not a whitelisted read call"):
        client.transport.send(
            "download project",
            "GET",
            "/manager",
            kind=RequestKind.PAGE_GET,
            params={"project": "billing_etl", "download": "true"},
            headers_only=True,
        )
    assert odd_server.seen == before
    assert client.transport.calls == {"login": 1}


def test_the_password_is_not_in_a_violation_message() -> None:
    with pytest.raises(ReadOnlyViolation) as info:
        check_request(
            "POST", "/", None, {"action": "login", "username": "u", "password": "hunter2", "x": "1"}
        )
    assert "hunter2" not in str(info.value)


def test_redirects_are_never_followed(odd_server: OddServer) -> None:
    odd_server.reply = lambda path, query: (
        302,
        "",
        {"Location": "/manager?delete=true&project=billing_etl"},
    )
    client = ReadOnlyClient(odd_server.settings(), Gentleness(rate=1000), FAST)
    with pytest.raises(e.AzkabanProtocolError, match="redirect"):
        client.fetch_all_projects()
    assert not [line for line in odd_server.seen if "delete" in line]
    assert odd_server.seen == ["POST /", "GET /index?ajax=fetchallprojects"]


# ------------------------------------------------------------------------ gentleness


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_spaces_requests_at_the_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(20.0, clock=t.clock, sleep=t.sleep)
    for _ in range(21):
        bucket.acquire()
    assert t.now - 100.0 == pytest.approx(1.0)  # 1 saved token + 20 at 20/s
    assert all(s == pytest.approx(0.05) for s in t.slept)


def test_token_bucket_hold_pauses_and_the_deadline_refuses() -> None:
    t = FakeTime()
    bucket = TokenBucket(10.0, clock=t.clock, sleep=t.sleep)
    bucket.acquire()
    bucket.hold(3.0)
    bucket.acquire()
    assert t.now - 100.0 == pytest.approx(3.1)
    with pytest.raises(BudgetExhausted):
        bucket.acquire(deadline=t.now + 0.01)
    bucket.acquire(deadline=t.now + 0.2)  # the refused token was given back


def test_gentleness_defaults_and_checks() -> None:
    g = Gentleness()
    assert (g.max_in_flight, g.rate) == (2, 20.0)
    for bad in ({"max_in_flight": 0}, {"max_in_flight": 9}, {"rate": 0}, {"budget_seconds": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Gentleness(**bad)


def test_the_rate_cap_holds_on_the_wire(odd_server: OddServer) -> None:
    odd_server.reply = lambda path, query: (200, json.dumps({"projects": []}), {})
    client = ReadOnlyClient(odd_server.settings(), Gentleness(rate=25), FAST)
    started = time.monotonic()
    for _ in range(10):
        client.fetch_all_projects()
    elapsed = time.monotonic() - started
    assert client.requests == 11  # the login, then ten reads
    assert elapsed >= 10 / 25 * 0.9


def test_at_most_max_in_flight_requests_from_many_threads(tmp_path: Any) -> None:
    server = SandboxServer(
        reader_config(tmp_path, fault_rate=1.0, fault_kinds=("slow",), slow_seconds=0.05)
    ).start()
    try:
        settings = _reader(server)
        for limit in (1, 2):
            requests.post(f"{server.url}/_sandbox/stats/reset", timeout=5)
            client = ReadOnlyClient(settings, Gentleness(max_in_flight=limit, rate=1000), FAST)
            client.login()
            threads = [threading.Thread(target=client.fetch_schedules) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            stats = requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()
            assert stats["in_flight_max"] == limit
            assert client.transport.max_in_flight_seen == limit
            assert stats["calls"]["POST / action=login"] == 1  # one login shared by 8 threads
    finally:
        server.stop()


def _reader(server: SandboxServer) -> Any:
    from azkaban_seeder.azkaban import ConnectionSettings

    return ConnectionSettings(server.url, READER, READER_PASSWORD, timeout=10.0)


def test_a_slow_reply_or_a_5xx_pauses_the_bucket(odd_server: OddServer) -> None:
    answers = iter([(503, "busy", {}), (200, json.dumps({"projects": []}), {})])
    odd_server.reply = lambda path, query: next(answers)
    client = ReadOnlyClient(odd_server.settings(), Gentleness(rate=1000), FAST)
    started = time.monotonic()
    assert client.fetch_all_projects() == []
    assert time.monotonic() - started >= 0.9  # the 503 held every request for 1 s
    assert client.stats.retries == {"http_503": 1}


def test_the_budget_stops_every_request_and_is_not_retried(odd_server: OddServer) -> None:
    odd_server.reply = lambda path, query: (200, json.dumps({"projects": []}), {})
    client = ReadOnlyClient(odd_server.settings(), Gentleness(rate=1000, budget_seconds=0.3), FAST)
    client.fetch_all_projects()
    time.sleep(0.35)
    seen = len(odd_server.seen)
    with pytest.raises(BudgetExhausted):
        client.fetch_all_projects()
    assert len(odd_server.seen) == seen
    assert client.stats.retries == {}


def test_one_login_reused_and_a_lost_session_logs_in_again(tmp_path: Any) -> None:
    server = SandboxServer(reader_config(tmp_path)).start()
    try:
        client = ReadOnlyClient(_reader(server), Gentleness(rate=1000), FAST)
        for _ in range(5):
            client.fetch_all_projects()
        server.controls.expire_sessions()
        client.fetch_schedules()
        calls = server.stats()["calls"]
        assert calls["POST / action=login"] == 2
        assert client.stats.relogins == 1
        assert set(calls) <= {
            f"{c.method} {c.path} {'action' if c.method == 'POST' else 'ajax'}={n}"
            for n, c in WHITELIST.items()
        }
    finally:
        server.stop()


def test_permanent_errors_fail_fast(odd_server: OddServer) -> None:
    odd_server.reply = lambda path, query: (
        200,
        json.dumps({"project": "p", "error": "Permission denied. Need READ access."}),
        {},
    )
    client = ReadOnlyClient(odd_server.settings(), Gentleness(rate=1000), FAST)
    with pytest.raises(e.PermissionDenied):
        client.fetch_project_flows("p")
    assert len(odd_server.seen) == 2  # login + one attempt


# ------------------------------------------------------------------------ reply parsing


def raw(payload: Any, status: int = 200) -> RawReply:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return RawReply(status, "application/json", body)


def test_parse_flow_graph_nests_embedded_flows_and_sorts_nodes() -> None:
    nodes = replies.parse_flow_graph(
        "g",
        raw(
            {
                "nodes": [
                    {"id": "z", "type": "command", "in": ["a", "sub"]},
                    {"id": "a", "type": "command"},
                    {
                        "id": "sub",
                        "type": "flow",
                        "flowId": "main:sub",
                        "in": ["a"],
                        "flow": "main:sub",
                        "nodes": [{"id": "x", "type": "noop"}],
                    },
                ]
            }
        ),
    )
    assert [n.id for n in nodes] == ["a", "sub", "z"]
    assert nodes[1].flow_id == "main:sub" and nodes[1].nodes is not None
    assert nodes[1].nodes[0].type == "noop"


def test_parse_flow_executions_and_exec_flow() -> None:
    page = replies.parse_flow_executions(
        "x",
        raw(
            {
                "project": "p",
                "flow": "f",
                "from": 0,
                "length": 2,
                "total": 5,
                "executions": [
                    {
                        "execId": 9,
                        "status": "SUCCEEDED",
                        "submitTime": 1,
                        "startTime": 2,
                        "endTime": 3,
                    },
                    {
                        "execId": 8,
                        "status": "READY",
                        "submitTime": 1,
                        "startTime": -1,
                        "endTime": -1,
                    },
                ],
            }
        ),
    )
    assert page.total == 5 and [r.exec_id for r in page.rows] == [9, 8]
    info = replies.parse_exec_flow(
        "x",
        raw(
            {
                "execid": 9,
                "status": "FAILED",
                "submitTime": 1,
                "startTime": 2,
                "endTime": 9,
                "nodes": [
                    {
                        "id": "a",
                        "nestedId": "a",
                        "type": "command",
                        "status": "FAILED",
                        "startTime": 2,
                        "endTime": 5,
                    },
                    {
                        "id": "sub",
                        "nestedId": "sub",
                        "type": "flow",
                        "status": "KILLED",
                        "startTime": 5,
                        "endTime": 6,
                        "nodes": [
                            {
                                "id": "x",
                                "nestedId": "sub:x",
                                "type": "noop",
                                "status": "CANCELLED",
                                "startTime": -1,
                                "endTime": -1,
                            }
                        ],
                    },
                ],
            }
        ),
    )
    assert [(j.nested_id, j.status) for j in info.jobs] == [("a", "FAILED"), ("sub:x", "CANCELLED")]


GARBAGE = [
    (replies.parse_project_list, {"projects": "all of them"}, "projects is not a list"),
    (replies.parse_project_list, {"projects": [{"projectName": "p"}]}, r"projects\[0\].projectId"),
    (replies.parse_project_list, {"hello": 1}, "no projects list"),
    (replies.parse_flow_list, {"flows": [{"flowId": 3}]}, r"flows\[0\].flowId"),
    (replies.parse_flow_graph, {"nodes": [{"id": "a"}]}, r"nodes\[0\].type"),
    (replies.parse_flow_graph, {"nodes": [{"id": "a", "type": "c", "in": [1]}]}, "non-string"),
    (replies.parse_schedule_list, {"items": [{"flowname": "f"}]}, r"items\[0\].projectname"),
    (replies.parse_flow_executions, {"total": 1}, "no executions list"),
    (
        replies.parse_flow_executions,
        {
            "total": 0,
            "from": 0,
            "executions": [
                {"execId": 1, "status": "S", "submitTime": 1, "startTime": 1, "endTime": 1}
            ],
        },
        "total 0 is smaller",
    ),
    (replies.parse_exec_flow, {"execid": "x"}, "execid"),
]


@pytest.mark.parametrize(("parse", "payload", "named"), GARBAGE)
def test_garbage_replies_raise_a_protocol_error_naming_the_field(
    parse: Any, payload: Any, named: str
) -> None:
    with pytest.raises(e.AzkabanProtocolError, match=named):
        parse("fetch something", raw(payload))


def test_non_json_and_error_replies_keep_their_verdicts() -> None:
    with pytest.raises(e.AzkabanProtocolError, match="expected JSON"):
        replies.parse_project_list("p", RawReply(200, "text/plain", "hello"))
    with pytest.raises(e.SessionExpired):
        replies.parse_flow_list("p", raw({"error": "session"}))
    with pytest.raises(e.ExecutionNotFound):
        replies.parse_exec_flow("p", raw({"error": "Cannot find execution '7'"}))
    with pytest.raises(e.AzkabanServerError):
        replies.parse_flow_executions("p", RawReply(503, "text/html", "<html>busy</html>"))


def test_fetch_schedule_reads_one_cron(odd_server: OddServer) -> None:
    answers = iter(
        [
            (
                200,
                json.dumps({"schedule": {"scheduleId": "7", "cronExpression": "0 5 * * * ?"}}),
                {},
            ),
            (200, "{}", {}),
        ]
    )
    odd_server.reply = lambda path, query: next(answers)
    client = ReadOnlyClient(odd_server.settings(), Gentleness(rate=1000), FAST)
    assert client.fetch_schedule(12, "load_invoices") == "0 5 * * * ?"
    assert client.fetch_schedule(12, "other") is None
    assert (
        odd_server.seen[1] == "GET /schedule?ajax=fetchSchedule&projectId=12&flowId=load_invoices"
    )

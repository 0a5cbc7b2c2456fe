"""The read side a profiler uses (reference §4.8, §4.11, §10): schedule listings, paged
execution history, per-job execution times, a READ-only user; the history-load control and
the request counters (by call, in flight) that prove how a client behaved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from conformance import unique
from sandbox_client import Az, SandboxLike
from sandbox_zips import EMBEDDED_FLOW, chain_flows, flow2_zip

CONTROL = pytest.mark.sandbox_only("uses the history-load control and the request counters")
NOW = int(time.time() * 1000)
MINUTE = 60_000


@pytest.fixture
def nested(az: Az) -> str:
    """A Flow 2.0 project whose flow ``main`` is start -> inner (x -> y) -> end."""
    name = unique("read")
    az.create(name)
    assert az.upload(name, flow2_zip({"main": EMBEDDED_FLOW})).status_code == 200
    return name


def executions(az: Az, project: str, flow: str, **params: Any) -> requests.Response:
    return az.get("/manager", ajax="fetchFlowExecutions", project=project, flow=flow, **params)


def load(url: str, runs: list[dict[str, Any]]) -> requests.Response:
    return requests.post(f"{url}/_sandbox/executions/load", json={"executions": runs}, timeout=30)


def run(project: str, minutes_ago: int, status: str = "SUCCEEDED", **extra: Any) -> dict[str, Any]:
    submit = NOW - minutes_ago * MINUTE
    return {
        "project": project,
        "flow": "main",
        "status": status,
        "submit": submit,
        "start": submit + 1000,
        "end": submit + 9 * MINUTE,
        **extra,
    }


# ------------------------------------------------------------------------ conformance


def test_fetch_schedules_items_have_the_servers_shape(az: Az) -> None:
    project = unique("rs")
    az.create(project)
    az.upload(project, chain_flows(1))
    az.post(
        "/schedule",
        ajax="scheduleCronFlow",
        projectName=project,
        flow="f0000",
        cronExpression="0 0 3 * * ?",
    )
    items = [
        i
        for i in az.get("/schedule", ajax="fetchSchedules").json()["items"]
        if i["projectname"] == project
    ]
    assert len(items) == 1
    item = items[0]
    assert set(item) == {
        "scheduleId",
        "flowname",
        "projectname",
        "time",
        "cron",
        "period",
        "history",
    }
    assert isinstance(item["scheduleId"], int) and isinstance(item["time"], int)
    assert (item["flowname"], item["cron"], item["history"]) == ("f0000", "0 0 3 * * ?", False)


@pytest.mark.parametrize("missing", ["start", "length"])
def test_fetch_flow_executions_needs_start_and_length(az: Az, nested: str, missing: str) -> None:
    params = {"start": 0, "length": 10}
    del params[missing]
    reply = executions(az, nested, "main", **params)
    assert reply.status_code == 500
    assert f"Missing required parameter '{missing}'." in reply.text
    assert executions(az, nested, "main", start="x", length=10).status_code == 500


def test_fetch_flow_executions_without_history(az: Az, nested: str) -> None:
    reply = executions(az, nested, "main", start=0, length=10).json()
    assert reply["project"] == nested and reply["flow"] == "main"
    assert (reply["from"], reply["length"], reply["total"], reply["executions"]) == (0, 10, 0, [])
    assert isinstance(reply["projectId"], int)


def test_nested_ids_are_paths_inside_embedded_flows(az: Az, nested: str) -> None:
    exec_id = az.post("/executor", ajax="executeFlow", project=nested, flow="main").json()["execid"]
    detail = az.get("/executor", ajax="fetchexecflow", execid=exec_id).json()
    inner = next(n for n in detail["nodes"] if n["id"] == "inner")
    assert inner["nestedId"] == "inner"
    assert [n["nestedId"] for n in inner["nodes"]] == ["inner:x", "inner:y"]
    for node in detail["nodes"]:
        assert {"id", "nestedId", "type", "status", "startTime", "endTime", "attempt"} <= set(node)


# ------------------------------------------------------------------------ loaded history


@CONTROL
def test_loaded_history_pages_newest_first(az: Az, sandbox: SandboxLike, nested: str) -> None:
    runs = [run(nested, minutes) for minutes in (500, 400, 300, 200, 100)]
    runs[1]["status"] = "FAILED"
    reply = load(sandbox.url, runs)
    assert reply.status_code == 200
    first = reply.json()["first_exec_id"]
    assert reply.json() == {"loaded": 5, "first_exec_id": first, "last_exec_id": first + 4}
    page = executions(az, nested, "main", start=1, length=2).json()
    assert (page["total"], page["from"], page["length"]) == (5, 1, 2)
    assert [e["execId"] for e in page["executions"]] == [first + 3, first + 2]
    row = page["executions"][0]
    assert (row["status"], row["submitTime"], row["startTime"], row["endTime"]) == (
        "SUCCEEDED",
        runs[3]["submit"],
        runs[3]["start"],
        runs[3]["end"],
    )
    assert row["flowId"] == "main" and row["submitUser"] == "azkaban"
    last = executions(az, nested, "main", start=4, length=10).json()["executions"]
    assert [(e["execId"], e["status"]) for e in last] == [(first, "SUCCEEDED")]
    assert (
        executions(az, nested, "main", start=3, length=1).json()["executions"][0]["status"]
        == "FAILED"
    )


@CONTROL
def test_fetchexecflow_of_loaded_history_has_per_job_times(
    az: Az, sandbox: SandboxLike, nested: str
) -> None:
    at = NOW - 60 * MINUTE
    jobs = [
        {"id": "start", "status": "SUCCEEDED", "start": at + 1000, "end": at + 2000},
        {"id": "inner", "status": "FAILED", "start": at + 2000, "end": at + 5000},
        {"id": "inner:x", "status": "FAILED", "start": at + 2000, "end": at + 5000, "attempt": 2},
        {"id": "inner:y", "status": "CANCELLED"},
        {"id": "end", "status": "CANCELLED"},
    ]
    loaded = load(sandbox.url, [run(nested, 60, "FAILED", jobs=jobs, user="svc_etl")])
    exec_id = loaded.json()["first_exec_id"]
    detail = az.get("/executor", ajax="fetchexecflow", execid=exec_id).json()
    assert (detail["status"], detail["submitUser"], detail["execid"]) == (
        "FAILED",
        "svc_etl",
        exec_id,
    )
    flat = {n["nestedId"]: n for n in detail["nodes"]}
    flat.update({c["nestedId"]: c for c in flat["inner"]["nodes"]})
    assert (flat["start"]["startTime"], flat["start"]["endTime"]) == (at + 1000, at + 2000)
    assert (flat["inner:x"]["status"], flat["inner:x"]["attempt"], flat["inner:x"]["type"]) == (
        "FAILED",
        2,
        "command",
    )
    assert (flat["inner:y"]["startTime"], flat["inner:y"]["endTime"]) == (-1, -1)
    assert flat["end"]["status"] == "CANCELLED" and flat["end"]["in"] == ["inner"]


@CONTROL
def test_a_run_that_never_started_keeps_start_unset(
    az: Az, sandbox: SandboxLike, nested: str
) -> None:
    item = {**run(nested, 30, "KILLED"), "start": -1}
    exec_id = load(sandbox.url, [item]).json()["first_exec_id"]
    detail = az.get("/executor", ajax="fetchexecflow", execid=exec_id).json()
    assert (detail["status"], detail["startTime"], detail["endTime"]) == ("KILLED", -1, item["end"])
    still = {**run(nested, 5, "RUNNING"), "end": -1}
    exec_id = load(sandbox.url, [still]).json()["first_exec_id"]
    detail = az.get("/executor", ajax="fetchexecflow", execid=exec_id).json()
    assert (detail["status"], detail["startTime"], detail["endTime"]) == (
        "RUNNING",
        still["start"],
        -1,
    )


BAD_RUNS: list[tuple[dict[str, Any], str]] = [
    (
        {"project": "no_such_project"},
        "executions[1].project 'no_such_project' is not an active project",
    ),
    ({"flow": "main:inner"}, "executions[1].flow 'main:inner' is not a top-level flow"),
    ({"status": "DONE"}, "executions[1].status 'DONE' is not an Azkaban status"),
    ({"submit": "yesterday"}, "executions[1].submit must be an integer >= 0"),
    ({"start": 5}, "executions[1].start 5 is before"),
    ({"end": 1}, "executions[1].end 1 is before the start"),
    ({"colour": "red"}, "executions[1]: unknown keys ['colour']"),
    ({"user": ""}, "executions[1].user must be a non-empty string"),
    (
        {"jobs": [{"id": "nope", "status": "SUCCEEDED"}]},
        "executions[1].jobs[0].id 'nope' is not a node",
    ),
    (
        {"jobs": [{"id": "start", "status": "SUCCEEDED"}] * 2},
        "executions[1].jobs[1].id 'start' is listed twice",
    ),
    ({"jobs": [{"id": "start", "status": "OK"}]}, "executions[1].jobs[0].status 'OK'"),
    (
        {"jobs": [{"id": "inner:x", "status": "SUCCEEDED", "attempt": -1}]},
        "jobs[0].attempt must be",
    ),
]


@CONTROL
@pytest.mark.parametrize(("change", "message"), BAD_RUNS)
def test_history_load_is_validated_all_or_nothing(
    az: Az, sandbox: SandboxLike, nested: str, change: dict[str, Any], message: str
) -> None:
    reply = load(sandbox.url, [run(nested, 10), {**run(nested, 5), **change}])
    assert reply.status_code == 400
    assert message in reply.json()["error"]
    assert executions(az, nested, "main", start=0, length=10).json()["total"] == 0


@CONTROL
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "the body must be"),
        ({"executions": []}, "non-empty list"),
        ({"runs": []}, "unknown keys"),
    ],
)
def test_history_load_body_shape(sandbox: SandboxLike, body: Any, message: str) -> None:
    reply = requests.post(f"{sandbox.url}/_sandbox/executions/load", json=body, timeout=10)
    assert reply.status_code == 400 and message in reply.json()["error"]


@CONTROL
def test_history_load_as_a_python_control(az: Az, sandbox: SandboxLike, nested: str) -> None:
    summary = sandbox.server.controls.load_executions([run(nested, 3)])
    assert summary["loaded"] == 1
    assert executions(az, nested, "main", start=0, length=1).json()["total"] == 1


# ------------------------------------------------------------------------ counters


@CONTROL
def test_stats_count_each_call_and_reset(az: Az, sandbox: SandboxLike, nested: str) -> None:
    url = sandbox.url
    requests.post(f"{url}/_sandbox/stats/reset", timeout=10).raise_for_status()
    az.login()
    az.get("/manager", ajax="fetchflowgraph", project=nested, flow="main")
    az.get("/manager", ajax="fetchflowgraph", project=nested, flow="main")
    az.upload(nested, flow2_zip({"main": EMBEDDED_FLOW}))
    az.get("/manager", delete="true", project=nested)
    stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()
    assert stats["calls"] == {
        "POST / action=login": 1,
        "GET /manager ajax=fetchflowgraph": 2,
        "POST /manager ajax=upload": 1,
        "GET /manager delete": 1,
    }
    assert stats["requests_total"] == 5 and stats["in_flight"] == 0
    assert stats["in_flight_max"] == 1
    reset = requests.post(f"{url}/_sandbox/stats/reset", timeout=10).json()
    assert (reset["calls"], reset["requests_total"], reset["in_flight_max"]) == ({}, 0, 0)


@pytest.mark.sandbox_only("slows requests with the fault injector to make them overlap")
def test_in_flight_maximum_counts_overlapping_requests(
    sandbox_factory: Callable[..., SandboxLike],
) -> None:
    sb = sandbox_factory(fault_rate=1.0, fault_kinds=("slow",), slow_seconds=0.2)
    az = Az(sb.url)
    session = sb.server.controls.open_session()
    az.session_id = session
    threads = [
        threading.Thread(target=az.get, args=("/schedule",), kwargs={"ajax": "fetchSchedules"})
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = sb.server.stats()
    assert stats["calls"] == {"GET /schedule ajax=fetchSchedules": 4}
    assert stats["in_flight_max"] == 4 and stats["in_flight"] == 0


# ------------------------------------------------------------------------ a READ-only user


@pytest.mark.sandbox_only("needs a READ-only user made by the sandbox config")
def test_a_read_only_user_reads_all_the_profiler_needs(
    sandbox_factory: Callable[..., SandboxLike],
) -> None:
    sb = sandbox_factory(users={"azkaban": "azkaban", "qa": "pw"}, user_roles={"qa": ("READ",)})
    admin, reader = Az(sb.url), Az(sb.url, "qa", "pw")
    admin.login()
    reader.login()
    admin.create("prod_like")
    admin.upload("prod_like", flow2_zip({"main": EMBEDDED_FLOW}))
    admin.post(
        "/schedule",
        ajax="scheduleCronFlow",
        projectName="prod_like",
        flow="main",
        cronExpression="0 15 * * * ?",
    )
    exec_id = sb.server.controls.load_executions([run("prod_like", 20)])["first_exec_id"]
    project_id = admin.project_id("prod_like")
    reads = [
        ("/index", {"ajax": "fetchallprojects"}, "projects"),
        ("/manager", {"ajax": "fetchprojectflows", "project": "prod_like"}, "flows"),
        ("/manager", {"ajax": "fetchflowgraph", "project": "prod_like", "flow": "main"}, "nodes"),
        ("/schedule", {"ajax": "fetchSchedules"}, "items"),
        (
            "/schedule",
            {"ajax": "fetchSchedule", "projectId": project_id, "flowId": "main"},
            "schedule",
        ),
        (
            "/manager",
            {
                "ajax": "fetchFlowExecutions",
                "project": "prod_like",
                "flow": "main",
                "start": 0,
                "length": 5,
            },
            "executions",
        ),
        ("/executor", {"ajax": "fetchexecflow", "execid": exec_id}, "nodes"),
    ]
    for path, params, key in reads:
        reply = reader.get(path, **params).json()
        assert "error" not in reply and reply[key], (path, params, reply)
    refused = reader.post("/executor", ajax="executeFlow", project="prod_like", flow="main").json()
    assert "error" in refused
    sched = reader.post(
        "/schedule",
        ajax="scheduleCronFlow",
        projectName="prod_like",
        flow="main",
        cronExpression="0 0 * * * ?",
    ).json()
    assert sched.get("status") == "error"
    upload = reader.upload("prod_like", flow2_zip({"main": EMBEDDED_FLOW}))
    assert upload.status_code == 403 or "error" in upload.json()

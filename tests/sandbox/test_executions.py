"""Executions under /executor on the controllable sandbox clock (reference 4.10-4.12).

Most tests move the sandbox clock (READY -> RUNNING -> final), so they are sandbox-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from conformance import unique
from sandbox_client import Az, SandboxLike
from sandbox_zips import EMBEDDED_FLOW, flow1_zip, flow2_zip, job

STEP = 10.0
CLOCK = pytest.mark.sandbox_only("runs on a sandbox with 10 s execution steps and its clock")


class Ex(Az):
    """A client on a sandbox with 10 s execution steps, and that sandbox's test controls."""

    controls: Any


@pytest.fixture
def ex(sandbox_factory: Callable[..., SandboxLike]) -> Ex:
    sb = sandbox_factory(execution_step_seconds=STEP)
    az = Ex(sb.url)
    az.login()
    az.create("ex")
    jobs = {
        "ok": job(),
        "bad_prep": job(),
        "bad": job(command="bash -c 'exit 1'", deps=("bad_prep",)),
        "marked": job(),
    }
    jobs["marked"] += "sandbox.fail=true\n"
    az.upload("ex", flow1_zip(jobs))
    az.controls = sb.server.controls
    return az


def _run(az: Az, flow: str, **extra: Any) -> dict[str, Any]:
    return az.post("/executor", ajax="executeFlow", project="ex", flow=flow, **extra).json()


def _status(az: Az, exec_id: int) -> str:
    return az.get("/executor", ajax="fetchexecflow", execid=exec_id).json()["status"]


@CLOCK
def test_execute_and_timeline_ready_running_succeeded(ex: Ex) -> None:
    reply = _run(ex, "ok")
    assert reply == {
        "project": "ex",
        "flow": "ok",
        "execid": 1,
        "message": "Execution queued successfully with exec id 1",
    }
    assert _status(ex, 1) == "READY"
    ex.controls.advance_clock(STEP)
    assert _status(ex, 1) == "RUNNING"
    ex.controls.advance_clock(STEP)
    flow = ex.get("/executor", ajax="fetchexecflow", execid=1).json()
    assert flow["status"] == "SUCCEEDED"
    assert flow["endTime"] > flow["startTime"] > flow["submitTime"] > 0
    assert flow["project"] == "ex" and flow["flowId"] == "ok" and flow["execid"] == 1
    assert [n["status"] for n in flow["nodes"]] == ["SUCCEEDED"]


@CLOCK
@pytest.mark.parametrize("flow", ["bad", "marked"])
def test_failing_jobs_fail_the_flow(ex: Ex, flow: str) -> None:
    exec_id = _run(ex, flow)["execid"]
    ex.controls.advance_clock(2 * STEP)
    detail = ex.get("/executor", ajax="fetchexecflow", execid=exec_id).json()
    assert detail["status"] == "FAILED"
    statuses = {n["id"]: n["status"] for n in detail["nodes"]}
    assert statuses[flow] == "FAILED"


@CLOCK
def test_skip_is_default_concurrent_option(ex: Ex) -> None:
    _run(ex, "ok")
    reply = _run(ex, "ok")
    assert reply == {
        "project": "ex",
        "flow": "ok",
        "execid": -1,
        "error": "Error submitting flow ok. Flow ok is already running. Skipping execution.",
    }
    ex.controls.advance_clock(2 * STEP)
    assert _run(ex, "ok")["execid"] == 2


@CLOCK
def test_concurrent_and_pipeline_prefixes(ex: Ex) -> None:
    _run(ex, "ok")
    conc = _run(ex, "ok", concurrentOption="ignore")
    assert conc["message"] == (
        "Flow ok is already running with exec id 1. Will execute "
        "concurrently. \nExecution queued successfully with exec id 2"
    )
    pipe = _run(ex, "ok", concurrentOption="pipeline", pipelineLevel="1")
    assert pipe["message"].startswith(
        "Flow ok is already running with exec id 1,2. Pipelining level 1. \n"
    )
    bad = _run(ex, "ok", concurrentOption="pipeline")
    assert bad == {
        "project": "ex",
        "flow": "ok",
        "error": "Error parsing flow options: Missing required parameter 'pipelineLevel'.",
    }


@CLOCK
def test_execute_errors(ex: Ex) -> None:
    assert _run(ex, "zz")["error"].startswith(
        "Flow 'zz' cannot be found in project azkaban.project.Project@"
    )
    reply = ex.post("/executor", ajax="executeFlow", project="nope", flow="ok").json()
    assert reply == {"project": "nope", "error": "Project 'nope' doesn't exist."}
    assert ex.post("/executor", ajax="executeFlow", project="ex").status_code == 500


@CLOCK
def test_get_running_and_cancel(ex: Ex) -> None:
    assert ex.get("/executor", ajax="getRunning", project="ex", flow="ok").json() == {}
    _run(ex, "ok")
    assert ex.get("/executor", ajax="getRunning", project="ex", flow="ok").json() == {
        "execIds": [1]
    }
    assert ex.get("/executor", ajax="cancelFlow", execid=1).json() == {}
    assert _status(ex, 1) == "KILLED"
    assert ex.get("/executor", ajax="cancelFlow", execid=1).json() == {
        "error": "Execution 1 of flow ok isn't running."
    }
    assert ex.get("/executor", ajax="getRunning", project="nope", flow="ok").json() == {
        "error": "Project 'null' not found."
    }


@CLOCK
def test_unknown_execution_and_missing_execid(ex: Ex) -> None:
    assert ex.get("/executor", ajax="fetchexecflow", execid=99).json() == {
        "error": "Cannot find execution '99'"
    }
    assert ex.get("/executor", ajax="fetchexecflow", project="ex").json() == {"project": "ex"}
    assert ex.get("/executor", ajax="fetchexecflow").status_code == 500


@CLOCK
def test_fetch_flow_executions_newest_first(ex: Ex) -> None:
    for _ in range(3):
        _run(ex, "ok", concurrentOption="ignore")
    reply = ex.get(
        "/manager", ajax="fetchFlowExecutions", project="ex", flow="ok", start=0, length=2
    ).json()
    assert reply["total"] == 3
    assert [e["execId"] for e in reply["executions"]] == [3, 2]
    assert reply["executions"][0]["status"] == "READY"
    assert reply["executions"][0]["startTime"] == -1


@CLOCK
def test_exec_flow_logs(ex: Ex) -> None:
    _run(ex, "ok")
    ex.controls.advance_clock(2 * STEP)
    logs = ex.get("/executor", ajax="fetchExecFlowLogs", execid=1, offset=0, length=50000).json()
    assert "SUCCEEDED" in logs["data"]
    assert logs["offset"] == 0 and logs["length"] == len(logs["data"])


def test_embedded_flow_nodes_nested_in_execution(az: Az) -> None:
    name = unique("nested")
    az.create(name)
    az.upload(name, flow2_zip({"main": EMBEDDED_FLOW}))
    exec_id = az.post("/executor", ajax="executeFlow", project=name, flow="main").json()["execid"]
    detail = az.get("/executor", ajax="fetchexecflow", execid=exec_id).json()
    inner = next(n for n in detail["nodes"] if n["id"] == "inner")
    assert inner["flowId"] == "main:inner"
    assert [n["id"] for n in inner["nodes"]] == ["x", "y"]


@pytest.mark.sandbox_only("needs a user without permissions made by the sandbox config")
def test_execution_calls_need_read_and_execute(
    sandbox_factory: Callable[..., SandboxLike],
) -> None:
    sb = sandbox_factory(users={"azkaban": "azkaban", "nobody": "n"}, user_roles={"nobody": ()})
    admin, nobody = Az(sb.url), Az(sb.url)
    admin.login()
    nobody.login("nobody", "n")
    admin.create("locked")
    admin.upload("locked", flow1_zip({"a": job()}))
    run = nobody.post("/executor", ajax="executeFlow", project="locked", flow="a").json()
    assert run == {"project": "locked", "error": "Project 'locked' doesn't exist."}
    exec_id = admin.post("/executor", ajax="executeFlow", project="locked", flow="a").json()[
        "execid"
    ]
    assert nobody.get("/executor", ajax="fetchexecflow", execid=exec_id).json() == {
        "error": "User 'nobody' doesn't have READ permissions on locked"
    }


@CLOCK
def test_clock_advance_over_http(ex: Ex) -> None:
    _run(ex, "ok")
    url = ex.url + "/_sandbox/clock/advance"
    assert requests.post(url, json={"seconds": 2 * STEP}, timeout=10).status_code == 200
    assert _status(ex, 1) == "SUCCEEDED"

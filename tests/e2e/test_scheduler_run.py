"""Real components: api-server, scheduler, dag-processor, triggerer, LocalExecutor on SQLite.

One stack per module (starting it costs ~30 s). Runs are triggered and inspected through the
public REST API only, like an operator would. Every wait is bounded and every shard task has
an ``execution_timeout``, so a hung Pool fails the test instead of hanging it. The sandbox has
a generated password (see `e2e_support.private_sandbox`), as a real deployment would.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from e2e_support import (
    error_lines,
    planned,
    private_sandbox,
    projects_on_server,
    reject_uploads,
    sandbox_stack,
    task_logs,
)

from azkaban_devstack import AirflowApiError, EmbeddedAirflow
from azkaban_devstack.stack import descendants, pid_alive
from azkaban_sandbox.server import SandboxServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

DAG_ID = "azkaban_env_rebuild"
NIGHTLY_ID = "azkaban_env_nightly"
RUN_TIMEOUT = 240.0
#: 400 flows -> 20 projects -> 4 shards of 5 projects, each shard on a Pool of 2 processes.
SIZES = {"flow_count": 400, "flows_per_project": 20, "projects_per_shard": 5, "processes": 2}


@pytest.fixture(scope="module")
def e2e_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with private_sandbox(tmp_path_factory.mktemp("sandbox")) as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    e2e_sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedAirflow]:
    # A shard of 5 small projects takes seconds; a hung Pool is killed after 150 s.
    airflow = sandbox_stack(tmp_path_factory.mktemp("airflow"), e2e_sandbox.url)
    airflow.start()
    try:
        airflow.client.wait_for_dag(DAG_ID, timeout=180)
        airflow.client.set_paused(DAG_ID, False)
        yield airflow
    finally:
        started = {c.process.pid for c in airflow.components}
        tree = started.union(*(descendants(pid) for pid in started))
        airflow.stop()
        # No component, task process or Pool worker may outlive the stack.
        assert [pid for pid in tree if pid_alive(pid)] == []


def _run(stack: EmbeddedAirflow, conf: dict[str, Any]) -> tuple[str, str]:
    run_id = stack.trigger(DAG_ID, conf)
    return run_id, stack.wait(DAG_ID, run_id, timeout=RUN_TIMEOUT)


def _by_task(stack: EmbeddedAirflow, run_id: str) -> dict[tuple[str, int], dict[str, Any]]:
    return {(t["task_id"], t["map_index"]): t for t in stack.task_instances(DAG_ID, run_id)}


def _report(stack: EmbeddedAirflow, run_id: str) -> dict[str, Any]:
    path = Path(stack.environment()["AZKABAN_SEEDER_REPORT_DIR"])
    (found,) = [p for p in path.glob("*.json") if json.loads(p.read_text())["run_id"] == run_id]
    return dict(json.loads(found.read_text()))


def _xcom_rows(stack: EmbeddedAirflow, run_id: str) -> list[tuple[str, int, str]]:
    """``GET .../dagRuns/{run}/taskInstances/~/xcomEntries``: (task, map index, key) rows."""
    path = f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/~/xcomEntries"
    reply = stack.client.request("GET", path, params={"limit": 100})
    assert reply["total_entries"] == len(reply["xcom_entries"])
    return sorted((e["task_id"], e["map_index"], e["key"]) for e in reply["xcom_entries"])


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _page(stack: EmbeddedAirflow, run_id: str) -> str:
    return f"/azkaban-seeder/reports/{DAG_ID}/{quote(run_id, safe='')}"


def _shown_totals(html: str) -> dict[str, int]:
    found = re.findall(r'data-total="([a-z_]+)">([0-9,]+)<', html)
    return {key: int(value.replace(",", "")) for key, value in found}


def test_every_component_is_healthy_including_the_triggerer(stack: EmbeddedAirflow) -> None:
    components = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    deadline = time.monotonic() + 60  # a component is healthy after its first heartbeat
    while True:
        health = stack.client.health()
        if all(health[c]["status"] == "healthy" for c in components):
            break
        assert time.monotonic() < deadline, health
        time.sleep(1)
    assert health["triggerer"]["latest_triggerer_heartbeat"], health


def test_shards_run_in_parallel_and_build_exactly_the_plan(
    stack: EmbeddedAirflow, e2e_sandbox: SandboxServer
) -> None:
    conf = {**SIZES, "prefix": "par"}
    run_id, state = _run(stack, conf)
    tis = _by_task(stack, run_id)
    assert state == "success", tis
    shards = [tis[("upload_shard", i)] for i in range(4)]
    assert [t["state"] for t in shards] == ["success"] * 4
    assert [t["rendered_map_index"] for t in shards] == [
        "par_00000..par_00004",
        "par_00005..par_00009",
        "par_00010..par_00014",
        "par_00015..par_00019",
    ]
    # All four were running at one moment: the latest start precedes the earliest end.
    assert max(_time(t["start_date"]) for t in shards) < min(_time(t["end_date"]) for t in shards)

    assert projects_on_server(e2e_sandbox.url, "par") == planned(conf)
    report = _report(stack, run_id)
    assert report["ok"] is True
    assert report["totals"]["flows_uploaded"] == 400
    assert len(report["shards"]) == 4
    assert stack.client.xcom(DAG_ID, run_id, "report", key="report")["ok"] is True
    # One XCom per task result, the shard results and the links: never one per dict key
    # (a `-> dict` @task gets multiple_outputs=True unless told otherwise; issue 7).
    shard_rows = [
        ("upload_shard", i, key)
        for i in range(4)
        for key in ("_link_AzkabanProjectLink", "shard_result")
    ]
    assert _xcom_rows(stack, run_id) == sorted(
        [
            ("plan", -1, "return_value"),
            ("prepare", -1, "return_value"),
            ("report", -1, "_link_RunReportLink"),
            ("report", -1, "report"),
            ("verify", -1, "return_value"),
            *shard_rows,
        ]
    )

    links = stack.client.extra_links(DAG_ID, run_id, "upload_shard", map_index=2)
    assert links == {"Azkaban project": f"{e2e_sandbox.url}/manager?project=par_00010"}
    report_link = stack.client.extra_links(DAG_ID, run_id, "report")["Run report"]
    assert report_link == stack.base_url + _page(stack, run_id)

    # Triggering the on-demand DAG left the nightly one paused.
    assert stack.client.dag(NIGHTLY_ID)["is_paused"] is True

    # "Environment rebuilt": one asset event for this Azkaban and prefix.
    events = stack.client.asset_events(source_dag_id=DAG_ID, source_run_id=run_id)
    port = e2e_sandbox.url.rsplit(":", 1)[1]
    assert [e["uri"] for e in events] == [f"azkaban://127.0.0.1:{port}/par"]
    assert events[0]["extra"]["flows"] == 400

    # The report page shows what the file holds, and only to a logged-in user.
    page = stack.client.get(_page(stack, run_id))
    assert page.status_code == 200, page.text
    assert _shown_totals(page.text) == report["totals"]
    anonymous = stack.client.get(_page(stack, run_id), authenticated=False)
    assert anonymous.status_code == 401
    unknown = stack.client.get(f"/azkaban-seeder/reports/{DAG_ID}/manual__nope")
    assert unknown.status_code == 404 and "No run 'manual__nope'" in unknown.text

    # Task logs people can read: no false masking, no ERROR on a clean run, one header per
    # shard, and the workers' records at their own level.
    logs = task_logs(stack.home / "logs", DAG_ID, run_id)
    assert len(logs) == 9, list(logs)  # plan, prepare, 4 shards, verify, likeness, report
    assert [str(p) for p, text in logs.items() if "***" in text] == []
    assert {str(p): error_lines(t) for p, t in logs.items() if error_lines(t)} == {}
    shard_logs = [t for p, t in logs.items() if "task_id=upload_shard" in str(p)]
    for text in shard_logs:
        assert text.count("5 projects, 100 flows, 2 processes requested, 2 used") == 1
        # The task's own process builds projects while its pool starts (`headstart`); what
        # the pool built, its workers logged through the task (forwarded, with their name).
        (head,) = re.findall(r"(\d+) project\(s\) built in this process while the pool", text)
        if int(head) < 5:
            assert "[ForkServerProcess-" in text


def test_failed_shard_fails_the_run_then_clearing_it_completes_the_run(
    stack: EmbeddedAirflow, e2e_sandbox: SandboxServer
) -> None:
    conf = {**SIZES, "prefix": "flaky"}
    reject_uploads(e2e_sandbox.url, ["flaky_00007"], "disk quota exceeded (e2e)")
    try:
        run_id, state = _run(stack, conf)
    finally:
        reject_uploads(e2e_sandbox.url, [])
    tis = _by_task(stack, run_id)
    assert state == "failed"
    assert [tis[("upload_shard", i)]["state"] for i in range(4)] == [
        "success",
        "failed",
        "success",
        "success",
    ]
    assert tis[("verify", -1)]["state"] == "success"  # ran after every shard was tried
    assert tis[("report", -1)]["state"] == "failed"
    report = _report(stack, run_id)
    assert report["ok"] is False
    # The failed report task still shows its report as XCom.
    stored = stack.client.xcom(DAG_ID, run_id, "report", key="report")
    assert (stored["ok"], stored["failures"]) == (False, report["failures"])
    (failure,) = report["failures"]
    assert failure["project"] == "flaky_00007"
    assert "disk quota exceeded (e2e)" in failure["reason"]
    on_server = projects_on_server(e2e_sandbox.url, "flaky")
    assert on_server["flaky_00006"] == planned(conf)["flaky_00006"]
    assert on_server.get("flaky_00007", set()) != planned(conf)["flaky_00007"]

    # Re-run only the failed shard (verify and report follow as its downstream).
    cleared = stack.clear_task(DAG_ID, run_id, "upload_shard", map_index=1)
    assert ("upload_shard", 1) in {(t["task_id"], t["map_index"]) for t in cleared}
    assert ("upload_shard", 0) not in {(t["task_id"], t["map_index"]) for t in cleared}
    assert stack.wait(DAG_ID, run_id, timeout=RUN_TIMEOUT) == "success"

    tis = _by_task(stack, run_id)
    assert tis[("upload_shard", 1)]["try_number"] == 2
    assert tis[("upload_shard", 0)]["try_number"] == 1
    assert projects_on_server(e2e_sandbox.url, "flaky") == planned(conf)
    assert _report(stack, run_id)["ok"] is True


def test_bad_params_fail_in_the_first_task_and_write_nothing(
    stack: EmbeddedAirflow, e2e_sandbox: SandboxServer
) -> None:
    # Out-of-range values are refused by the trigger form's schema before a run exists.
    with pytest.raises(AirflowApiError) as refused:
        stack.client.trigger(DAG_ID, {"flow_count": 0})
    assert refused.value.status == 400

    # Values the schema cannot judge fail in `plan`, with the spec's explanation.
    run_id, state = _run(stack, {**SIZES, "prefix": "badp", "shape": "chain:0"})
    tis = _by_task(stack, run_id)
    assert state == "failed"
    assert tis[("plan", -1)]["state"] == "failed"
    assert tis[("prepare", -1)]["state"] == "upstream_failed"
    logs = "".join(
        p.read_text() for p in (stack.home / "logs").rglob("*.log") if "task_id=plan" in str(p)
    )
    assert "Flow shape (shape): chain:N needs N between 1 and 100 (got 0); fix:" in logs
    assert projects_on_server(e2e_sandbox.url, "badp") == {}

"""Real components: api-server, scheduler, dag-processor, LocalExecutor on SQLite.

One stack per module (starting it costs ~30 s). Runs are triggered and inspected through the
public REST API only, like an operator would. Every wait is bounded and every shard task has
an ``execution_timeout``, so a hung Pool fails the test instead of hanging it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_support import DAGS, PLUGINS, connection_env, planned, projects_on_server, reject_uploads

from azkaban_devstack import AirflowApiError, EmbeddedAirflow
from azkaban_devstack.stack import descendants, pid_alive
from azkaban_sandbox.server import SandboxServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

DAG_ID = "azkaban_env_rebuild"
RUN_TIMEOUT = 240.0
#: 400 flows -> 20 projects -> 4 shards of 5 projects, each shard on a Pool of 2 processes.
SIZES = {"flow_count": 400, "flows_per_project": 20, "projects_per_shard": 5, "processes": 2}


@pytest.fixture(scope="module")
def stack(
    e2e_sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedAirflow]:
    home = tmp_path_factory.mktemp("airflow")
    airflow = EmbeddedAirflow(
        home=home,
        dags_folder=DAGS,
        plugins_folder=PLUGINS,
        extra_env={
            "AIRFLOW_CONN_AZKABAN_DEFAULT": connection_env(e2e_sandbox.url),
            "AZKABAN_SEEDER_REPORT_DIR": str(home / "reports"),
            # A shard of 5 small projects takes seconds; a hung Pool is killed after this.
            "AZKABAN_SEEDER_SHARD_TIMEOUT": "150",
        },
    )
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


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
    assert stack.client.xcom(DAG_ID, run_id, "report")["ok"] is True

    links = stack.client.extra_links(DAG_ID, run_id, "upload_shard", map_index=2)
    assert links == {"Azkaban project": f"{e2e_sandbox.url}/manager?project=par_00010"}


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
    assert "shape: chain:N needs N between 1 and 100 (got 0); fix:" in logs
    assert projects_on_server(e2e_sandbox.url, "badp") == {}

"""``airflow dags test`` runs the whole rebuild in one process against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import DAGS, PLUGINS, connection_env, planned, private_sandbox, projects_on_server

from azkaban_devstack import EmbeddedAirflow
from azkaban_sandbox.server import SandboxServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]


@pytest.fixture(scope="module")
def e2e_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with private_sandbox(tmp_path_factory.mktemp("sandbox")) as server:
        yield server


def test_dags_test_builds_exactly_the_plan(e2e_sandbox: SandboxServer, tmp_path: Path) -> None:
    conf = {"flow_count": 2_000, "prefix": "dagstest", "processes": 2}
    reports = tmp_path / "reports"
    airflow = EmbeddedAirflow(
        home=tmp_path / "airflow",
        dags_folder=DAGS,
        plugins_folder=PLUGINS,
        extra_env={
            "AIRFLOW_CONN_AZKABAN_DEFAULT": connection_env(e2e_sandbox.url),
            "AZKABAN_SEEDER_REPORT_DIR": str(reports),
        },
    )
    airflow.run_cli("db", "migrate", timeout=180)
    # `dags test` runs every task in-process, mapped instances one after another; a hung Pool
    # would show up as a subprocess timeout here, not as a hung test.
    airflow.run_cli("dags", "test", "azkaban_env_rebuild", "-c", json.dumps(conf), timeout=300)

    expected = planned(conf)
    assert len(expected) == 20
    assert projects_on_server(e2e_sandbox.url, "dagstest") == expected

    (report_file,) = reports.glob("*.json")
    report = json.loads(report_file.read_text())
    assert report["ok"] is True
    assert report["totals"]["flows_uploaded"] == 2_000
    # Auto shard sizing: one shard per slot of the default parallel-shard cap (4).
    assert [s["label"] for s in report["shards"]] == [
        "dagstest_00000..dagstest_00004",
        "dagstest_00005..dagstest_00009",
        "dagstest_00010..dagstest_00014",
        "dagstest_00015..dagstest_00019",
    ]
    assert report["verify"]["present"] == 2_000

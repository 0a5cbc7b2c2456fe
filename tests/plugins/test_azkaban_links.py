"""The "Azkaban project" extra link of each mapped shard task instance (and the operator's
use of its hook), the "Run report" link of the report task, and the plugin's registrations."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from azkaban_airflow import tasks
from azkaban_airflow.hooks import AzkabanHook
from azkaban_airflow.links import (
    LINK_NAME,
    REPORT_LINK_NAME,
    AzkabanProjectLink,
    RunReportLink,
    project_url,
)
from azkaban_airflow.operators import (
    REBUILT_ALIAS_NAME,
    SHARD_RESULT_KEY,
    AzkabanReportOperator,
    AzkabanShardOperator,
)
from azkaban_airflow.plugin import AzkabanSeederPlugin
from azkaban_seeder.azkaban import ConnectionSettings
from azkaban_seeder.plan import plan_shards
from azkaban_seeder.runner import ShardResult
from azkaban_seeder.spec import EnvSpec

SHARD = plan_shards(EnvSpec(flow_count=3_000, prefix="stress", projects_per_shard=10))[2].to_ref()
TI_KEY = SimpleNamespace(dag_id="d", task_id="upload_shard", run_id="r", map_index=2)


def _conn_env(monkeypatch: pytest.MonkeyPatch, **fields: str) -> None:
    conn = {"conn_type": "azkaban", "host": "az", "login": "u", "password": "pw1", **fields}
    monkeypatch.setenv("AIRFLOW_CONN_AZKABAN_DEFAULT", json.dumps(conn))


def test_link_points_at_the_first_project_of_the_shard(monkeypatch: pytest.MonkeyPatch) -> None:
    _conn_env(monkeypatch, host="http://azkaban:8081")
    operator = AzkabanShardOperator(task_id="upload_shard", shard=SHARD)
    url = AzkabanProjectLink().get_link(operator, ti_key=TI_KEY)  # type: ignore[arg-type]
    assert url == "http://azkaban:8081/manager?project=stress_00020"


def test_execute_and_link_share_one_connection_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 7: execute() parsed the Connection, then the link could parse it again.
    _conn_env(monkeypatch, schema="https")
    lookups: list[str] = []
    lookup = AzkabanHook.get_connection

    def counting(conn_id: str) -> object:
        lookups.append(conn_id)
        return lookup(conn_id)

    monkeypatch.setattr(AzkabanHook, "get_connection", staticmethod(counting))
    done = ShardResult(shard_index=2, label="stress_00020..stress_00029")
    seen: list[ConnectionSettings] = []

    def upload(params: object, shard: object, settings: ConnectionSettings) -> ShardResult:
        seen.append(settings)
        return done

    monkeypatch.setattr(tasks, "upload_shard", upload)
    pushed: dict[str, object] = {}
    ti = SimpleNamespace(xcom_push=pushed.__setitem__)
    operator = AzkabanShardOperator(task_id="upload_shard", shard=SHARD)
    operator.execute({"ti": ti, "params": {}})
    url = AzkabanProjectLink().get_link(operator, ti_key=TI_KEY)  # type: ignore[arg-type]
    assert url == "https://az/manager?project=stress_00020"
    assert seen[0].url == "https://az"
    assert pushed == {SHARD_RESULT_KEY: done.to_dict()}
    assert lookups == ["azkaban_default"]


def test_link_of_an_operator_without_a_hook_reads_its_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _conn_env(monkeypatch, schema="https")
    operator = SimpleNamespace(shard=SHARD, azkaban_conn_id="azkaban_default")
    url = AzkabanProjectLink().get_link(operator, ti_key=TI_KEY)  # type: ignore[arg-type]
    assert url == "https://az/manager?project=stress_00020"


def test_no_link_without_a_shard_or_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_AZKABAN_DEFAULT", raising=False)
    link = AzkabanProjectLink()
    assert link.get_link(SimpleNamespace(shard=None), ti_key=TI_KEY) == ""  # type: ignore[arg-type]
    operator = AzkabanShardOperator(
        task_id="upload_shard", shard=SHARD, azkaban_conn_id="azkaban_missing"
    )
    assert link.get_link(operator, ti_key=TI_KEY) == ""  # type: ignore[arg-type]


def test_project_names_are_quoted() -> None:
    assert project_url("http://a/", "x y&z") == "http://a/manager?project=x%20y%26z"


def test_operators_and_plugin_register_the_links() -> None:
    assert [link.name for link in AzkabanShardOperator.operator_extra_links] == [LINK_NAME]
    assert [link.name for link in AzkabanReportOperator.operator_extra_links] == [REPORT_LINK_NAME]
    names = [link.name for link in AzkabanSeederPlugin.operator_extra_links]
    assert names == [LINK_NAME, REPORT_LINK_NAME]
    # Airflow stores the URL as an XCom under this key; the API server reads it back.
    assert AzkabanProjectLink().xcom_key == "_link_AzkabanProjectLink"
    assert RunReportLink().xcom_key == "_link_RunReportLink"


def test_report_link_points_at_the_run_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/")
    key = SimpleNamespace(dag_id="azkaban_env_rebuild", run_id="manual__2026-01-01T00:00:00+00:00")
    operator = AzkabanReportOperator(task_id="report")
    url = RunReportLink().get_link(operator, ti_key=key)  # type: ignore[arg-type]
    assert url == (
        "https://airflow.example.com/azkaban-seeder/reports/azkaban_env_rebuild/"
        "manual__2026-01-01T00%3A00%3A00%2B00%3A00"
    )
    assert [outlet.name for outlet in operator.outlets] == [REBUILT_ALIAS_NAME]


def test_plugin_mounts_the_report_app_and_a_menu_entry() -> None:
    from fastapi import FastAPI

    (entry,) = AzkabanSeederPlugin.fastapi_apps
    assert entry["url_prefix"] == "/azkaban-seeder"
    assert isinstance(entry["app"], FastAPI)
    (view,) = AzkabanSeederPlugin.external_views
    assert (view["href"], view["destination"]) == ("/azkaban-seeder/", "nav")

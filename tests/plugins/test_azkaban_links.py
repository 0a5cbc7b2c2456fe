"""The "Azkaban project" extra link of each mapped shard task instance."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from azkaban_airflow.links import LINK_NAME, AzkabanProjectLink, project_url
from azkaban_airflow.operators import AzkabanShardOperator
from azkaban_airflow.plugin import AzkabanSeederPlugin
from azkaban_seeder.plan import plan_shards
from azkaban_seeder.spec import EnvSpec

SHARD = plan_shards(EnvSpec(flow_count=3_000, prefix="stress"))[2].to_dict()
TI_KEY = SimpleNamespace(dag_id="d", task_id="upload_shard", run_id="r", map_index=2)


def test_link_points_at_the_first_project_of_the_shard() -> None:
    operator = SimpleNamespace(shard=SHARD, azkaban_url="http://azkaban:8081")
    url = AzkabanProjectLink().get_link(operator, ti_key=TI_KEY)  # type: ignore[arg-type]
    assert url == "http://azkaban:8081/manager?project=stress_00020"


def test_link_falls_back_to_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # execute() failed before it resolved the Connection: the link reads it itself.
    monkeypatch.setenv(
        "AIRFLOW_CONN_AZKABAN_DEFAULT",
        json.dumps(
            {"conn_type": "http", "host": "az", "schema": "https", "login": "u", "password": "pw1"}
        ),
    )
    operator = SimpleNamespace(shard=SHARD, azkaban_url=None, azkaban_conn_id="azkaban_default")
    url = AzkabanProjectLink().get_link(operator, ti_key=TI_KEY)  # type: ignore[arg-type]
    assert url == "https://az/manager?project=stress_00020"


def test_no_link_without_a_shard_or_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_AZKABAN_DEFAULT", raising=False)
    link = AzkabanProjectLink()
    assert link.get_link(SimpleNamespace(shard=None), ti_key=TI_KEY) == ""  # type: ignore[arg-type]
    operator = SimpleNamespace(shard=SHARD, azkaban_url=None, azkaban_conn_id="azkaban_missing")
    assert link.get_link(operator, ti_key=TI_KEY) == ""  # type: ignore[arg-type]


def test_project_names_are_quoted() -> None:
    assert project_url("http://a/", "x y&z") == "http://a/manager?project=x%20y%26z"


def test_operator_and_plugin_register_the_link() -> None:
    assert [link.name for link in AzkabanShardOperator.operator_extra_links] == [LINK_NAME]
    assert [link.name for link in AzkabanSeederPlugin.operator_extra_links] == [LINK_NAME]
    # Airflow stores the URL as an XCom under this key; the API server reads it back.
    assert AzkabanProjectLink().xcom_key == "_link_AzkabanProjectLink"

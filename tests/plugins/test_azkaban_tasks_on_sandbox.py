"""Task bodies against the sandbox, without Airflow's scheduler: converge and teardown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from azkaban_airflow import tasks
from azkaban_sandbox.server import SandboxConfig, SandboxServer
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings
from foreign_projects import create_foreign_project

BASE: dict[str, Any] = {
    "flows_per_project": 5,
    "projects_per_shard": 10,
    "flow_format": "1.0",
    "shape": "single",
    "seed": 0,
    "command": "echo {job}",
    "schedule": "off",
    "processes": 1,
    "mode": "converge",
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectionSettings]:
    data = tmp_path_factory.mktemp("sandbox")
    with SandboxServer(SandboxConfig(port=0, data_dir=Path(data))) as server:
        yield ConnectionSettings(url=server.url, user="azkaban", password="azkaban", timeout=15)


def _build(params: dict[str, Any], settings: ConnectionSettings) -> None:
    tasks.prepare(params, settings)
    for shard in tasks.plan(params):
        assert tasks.upload_shard(params, shard, settings).ok


def _names(settings: ConnectionSettings, prefix: str) -> list[str]:
    with AzkabanClient(settings) as client:
        return sorted(p.name for p in client.fetch_all_projects() if p.name.startswith(prefix))


def test_converge_removes_only_projects_the_plan_no_longer_holds(
    settings: ConnectionSettings,
) -> None:
    big = {**BASE, "prefix": "conv", "flow_count": 15}
    _build(big, settings)
    assert _names(settings, "conv_") == ["conv_00000", "conv_00001", "conv_00002"]
    with AzkabanClient(settings) as client:  # not ours: a hand-made project of another prefix
        client.create_project("conversation", "made by hand")

    small = {**big, "flow_count": 5}
    done = tasks.prepare(small, settings)
    assert sorted(done["deleted"]) == ["conv_00001", "conv_00002"]
    assert _names(settings, "conv") == ["conv_00000", "conversation"]
    verified = tasks.verify(small, tasks.plan(small), settings)
    assert verified["ok"] is True


def test_teardown_first_and_the_teardown_dag_body(settings: ConnectionSettings) -> None:
    params = {**BASE, "prefix": "tdown", "flow_count": 10}
    _build(params, settings)
    done = tasks.prepare({**params, "mode": "teardown_first"}, settings)
    assert sorted(done["deleted"]) == ["tdown_00000", "tdown_00001"]
    assert _names(settings, "tdown_") == []

    _build(params, settings)
    create_foreign_project(settings.url, "tdown_99999")  # not ours: left alone, with a reason
    listed = tasks.teardown_prefix("tdown", True, settings)
    assert sorted(listed["would_delete"]) == ["tdown_00000", "tdown_00001"]
    assert "deleted" not in listed  # a dry run deletes nothing and says so
    (foreign,) = listed["left_alone"]
    assert foreign["project"] == "tdown_99999" and foreign["reason"]
    assert len(_names(settings, "tdown_")) == 3

    with pytest.raises(AirflowFailException) as refused:
        tasks.teardown_prefix("tdown", False, settings, confirm_prefix="")
    assert "Confirm prefix (confirm_prefix)" in str(refused.value)
    assert "fix: type tdown in Confirm prefix" in str(refused.value)
    assert len(_names(settings, "tdown_")) == 3

    deleted = tasks.teardown_prefix("tdown", False, settings, confirm_prefix="tdown")
    assert sorted(deleted["deleted"]) == ["tdown_00000", "tdown_00001"]
    assert _names(settings, "tdown_") == ["tdown_99999"]
    with pytest.raises(AirflowFailException, match=r"Project prefix \(prefix\)"):
        tasks.teardown_prefix("9bad", True, settings)

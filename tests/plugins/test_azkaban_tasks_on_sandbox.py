"""Task bodies against the sandbox, without Airflow's scheduler: converge and teardown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from azkaban_airflow import tasks as azkaban_rebuild
from azkaban_sandbox.server import SandboxConfig, SandboxServer
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings

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
    azkaban_rebuild.prepare(params, settings)
    for shard in azkaban_rebuild.plan(params):
        assert azkaban_rebuild.upload_shard(params, shard, settings).ok


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
    done = azkaban_rebuild.prepare(small, settings)
    assert sorted(done["deleted"]) == ["conv_00001", "conv_00002"]
    assert _names(settings, "conv") == ["conv_00000", "conversation"]
    verified = azkaban_rebuild.verify(small, azkaban_rebuild.plan(small), settings)
    assert verified["ok"] is True


def test_teardown_first_and_the_teardown_dag_body(settings: ConnectionSettings) -> None:
    params = {**BASE, "prefix": "tdown", "flow_count": 10}
    _build(params, settings)
    done = azkaban_rebuild.prepare({**params, "mode": "teardown_first"}, settings)
    assert sorted(done["deleted"]) == ["tdown_00000", "tdown_00001"]
    assert _names(settings, "tdown_") == []

    _build(params, settings)
    listed = azkaban_rebuild.teardown_prefix("tdown", True, settings)
    assert sorted(listed["deleted"]) == ["tdown_00000", "tdown_00001"]
    assert len(_names(settings, "tdown_")) == 2  # dry run: nothing deleted
    azkaban_rebuild.teardown_prefix("tdown", False, settings)
    assert _names(settings, "tdown_") == []
    with pytest.raises(AirflowFailException, match="prefix"):
        azkaban_rebuild.teardown_prefix("9bad", True, settings)

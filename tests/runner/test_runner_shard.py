"""run_shard / apply against the sandbox: exact flow sets, in-process and on a spawn pool."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import pytest
from runner_helpers import fast_options, flows_on_server, small_spec, spawned_children

from azkaban_seeder.archive import build_project_zip_bytes
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, ProjectNotFound
from azkaban_seeder.flows import expected_flow_ids
from azkaban_seeder.plan import ProjectPlan, plan_projects, plan_shards
from azkaban_seeder.runner import ProjectResult, ShardResult, apply, run_shard
from azkaban_seeder.runner import pool as pool_module
from azkaban_seeder.runner import worker as worker_module
from azkaban_seeder.spec import EnvSpec


def _assert_exact(settings: ConnectionSettings, spec: EnvSpec) -> None:
    projects = plan_projects(spec)
    actual = flows_on_server(settings, [p.name for p in projects])
    for project in projects:
        assert actual[project.name] == expected_flow_ids(project), project.name


@pytest.mark.parametrize("processes", [1, 2])
def test_run_shard_uploads_exactly_the_planned_flows(
    settings: ConnectionSettings, prefix: str, processes: int
) -> None:
    spec = small_spec(prefix, flow_count=22)  # the last project holds 2 flows
    shard = plan_shards(spec)[0]
    seen: list[ProjectResult] = []

    result = run_shard(spec, shard, settings, fast_options(processes), seen.append)

    assert result.ok, result.to_dict()
    assert [p.project for p in result.projects] == [p.name for p in shard.projects]
    assert result.flows == 22
    assert [p.flows for p in result.projects] == [4, 4, 4, 4, 4, 2]
    assert all(p.bytes > 0 and p.attempts >= 2 and p.error is None for p in result.projects)
    assert sorted(r.project for r in seen) == sorted(p.name for p in shard.projects)
    _assert_exact(settings, spec)
    assert spawned_children() == []


def test_shard_result_round_trips_through_json(settings: ConnectionSettings, prefix: str) -> None:
    spec = small_spec(prefix, flow_count=8)
    result = run_shard(spec, plan_shards(spec)[0], settings, fast_options(1))

    again = ShardResult.from_dict(json.loads(json.dumps(result.to_dict())))

    assert again == result
    assert again.to_dict()["flows"] == 8


def test_apply_is_idempotent_and_converges(settings: ConnectionSettings, prefix: str) -> None:
    spec = small_spec(prefix, flow_count=20, projects_per_shard=2)  # 5 projects, 3 shards
    first = apply(spec, settings, fast_options(2))
    assert first.ok and first.flows == 20
    assert [s.shard_index for s in first.shards] == [0, 1, 2]

    # Drift: one project holds other flows (as after an older plan), another disappeared.
    projects = plan_projects(spec)
    drifted = ProjectPlan(projects[0].name, first_flow=900, flow_count=3)
    zip_bytes, _summary = build_project_zip_bytes(replace(spec, flow_count=1000), drifted)
    with AzkabanClient(settings) as client:
        client.upload_project(projects[0].name, zip_bytes)
        assert set(client.fetch_project_flows(projects[0].name)) == expected_flow_ids(drifted)
        client.delete_project(projects[1].name)
        with pytest.raises(ProjectNotFound):
            client.fetch_project_flows(projects[1].name)

    second = apply(spec, settings, fast_options(2))

    assert second.ok, second.to_dict()
    assert second.flows == 20
    _assert_exact(settings, spec)


def test_pre_upload_check_mismatch_is_an_error_and_nothing_is_uploaded(
    settings: ConnectionSettings, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = small_spec(prefix, flow_count=8)
    shard = plan_shards(spec)[0]
    # Simulate a generator bug: the plan expects one flow the zip does not hold.
    monkeypatch.setattr(
        worker_module, "expected_flow_ids", lambda p: expected_flow_ids(p) | {"flow_999999"}
    )

    result = run_shard(spec, shard, settings, fast_options(1))

    assert len(result.failed) == 2
    assert all("flow ids differ from the plan" in (p.error or "") for p in result.failed)
    assert all("flow_999999" in (p.error or "") for p in result.failed)
    with AzkabanClient(settings) as client:
        for project in shard.projects:
            with pytest.raises(ProjectNotFound):
                client.fetch_project_flows(project.name)


def test_hidden_main_hides_and_restores_main_file_and_spec() -> None:
    main = sys.modules["__main__"]
    before = (main.__dict__.get("__file__"), main.__dict__.get("__spec__"))

    with pool_module.hidden_main():
        assert "__file__" not in main.__dict__
        assert main.__dict__.get("__spec__") is None

    assert (main.__dict__.get("__file__"), main.__dict__.get("__spec__")) == before

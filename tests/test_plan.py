from __future__ import annotations

import json
import math

import pytest

from azkaban_seeder.plan import ProjectPlan, Shard, plan_projects, plan_shards, project_name
from azkaban_seeder.spec import EnvSpec


def test_project_names_are_fixed_width_and_sort() -> None:
    assert project_name("stress", 0) == "stress_00000"
    assert project_name("stress", 123) == "stress_00123"
    names = [project_name("p", i) for i in range(0, 100_000, 997)]
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("flow_count", "per_project", "per_shard"),
    [(1, 1, 1), (10_000, 100, 10), (10_001, 100, 10), (999, 7, 3), (5, 100, 10)],
)
def test_projects_cover_every_flow_once(flow_count: int, per_project: int, per_shard: int) -> None:
    spec = EnvSpec(
        flow_count=flow_count, flows_per_project=per_project, projects_per_shard=per_shard
    )
    projects = plan_projects(spec)
    assert len(projects) == math.ceil(flow_count / per_project) == spec.project_count
    indexes = [i for p in projects for i in p.flow_indexes]
    assert indexes == list(range(flow_count))
    assert all(p.flow_count == per_project for p in projects[:-1])
    assert 1 <= projects[-1].flow_count <= per_project
    assert len({p.name for p in projects}) == len(projects)


def test_last_project_is_smaller() -> None:
    projects = plan_projects(EnvSpec(flow_count=250, flows_per_project=100))
    assert [(p.name, p.first_flow, p.flow_count) for p in projects] == [
        ("stress_00000", 0, 100),
        ("stress_00001", 100, 100),
        ("stress_00002", 200, 50),
    ]


def test_shards_group_consecutive_projects() -> None:
    spec = EnvSpec(flow_count=10_050, flows_per_project=100, projects_per_shard=10, prefix="load")
    shards = plan_shards(spec)
    assert len(shards) == spec.shard_count == 11
    assert [s.index for s in shards] == list(range(11))
    assert shards[0].label == "load_00000..load_00009"
    assert shards[-1].label == "load_00100"
    assert shards[0].flow_count == 1000
    assert shards[-1].flow_count == 50
    assert sum(s.flow_count for s in shards) == 10_050
    assert [p for s in shards for p in s.projects] == plan_projects(spec)


def test_shard_count_stays_within_max_map_length() -> None:
    spec = EnvSpec(flow_count=1_000_000, flows_per_project=100, projects_per_shard=10)
    shards = plan_shards(spec)
    assert len(shards) == 1000 <= spec.max_map_length


def test_shard_json_roundtrip_is_small() -> None:
    shard = plan_shards(EnvSpec(flow_count=1000))[0]
    text = json.dumps(shard.to_dict())
    assert Shard.from_dict(json.loads(text)) == shard
    # Names and counts only: a 1,000-flow shard stays well under a kilobyte.
    assert len(text) < 1000


@pytest.mark.parametrize(
    "data",
    [
        {"index": -1, "projects": []},
        {"index": "0", "projects": []},
        {"index": 0, "projects": [{"name": "a", "first_flow": 0, "flow_count": 0}]},
        {"index": 0, "projects": [{"name": "a", "first_flow": "0", "flow_count": 1}]},
        {"index": 0, "projects": [{"name": 1, "first_flow": 0, "flow_count": 1}]},
    ],
)
def test_shard_from_dict_rejects_garbage(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Shard.from_dict(data)


def test_plans_are_stable_across_calls() -> None:
    spec = EnvSpec(flow_count=12_345, flows_per_project=37, projects_per_shard=9)
    first = [s.to_dict() for s in plan_shards(spec)]
    again = [s.to_dict() for s in plan_shards(EnvSpec.from_mapping(spec.to_dict()))]
    assert first == again


def test_project_plan_roundtrip() -> None:
    plan = ProjectPlan("x_00001", 100, 42)
    assert ProjectPlan.from_dict(plan.to_dict()) == plan
    assert plan.flow_indexes == range(100, 142)


def test_spec_options_and_shards_survive_pickling_for_worker_processes() -> None:
    import pickle

    from azkaban_seeder.spec import RunOptions

    spec = EnvSpec(flow_count=300, shape="mix:single=1,random=2", schedule="01:00-02:00")
    options = RunOptions(processes=2, upload_timeout=5.0)
    shard = plan_shards(spec)[0]
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert pickle.loads(pickle.dumps(options)) == options
    assert pickle.loads(pickle.dumps(shard)) == shard


def test_a_shard_ref_is_a_range_that_rebuilds_the_same_shard() -> None:
    spec = EnvSpec(flow_count=2_345, flows_per_project=10, projects_per_shard=7, prefix="rg")
    shards = plan_shards(spec)
    for shard in shards:
        ref = json.loads(json.dumps(shard.to_ref()))
        assert set(ref) == {"index", "first_project", "project_count", "label", "first_name"}
        assert Shard.from_ref(ref, spec) == shard


def test_a_shard_ref_outside_the_plan_is_refused() -> None:
    spec = EnvSpec(flow_count=100, flows_per_project=10, projects_per_shard=5)
    ref = plan_shards(spec)[1].to_ref()
    with pytest.raises(ValueError, match="outside the plan"):
        Shard.from_ref(ref, EnvSpec(flow_count=60, flows_per_project=10, projects_per_shard=5))

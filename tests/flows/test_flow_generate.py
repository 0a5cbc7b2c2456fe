from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from azkaban_seeder.flows import (
    expected_flow_ids,
    flow_id_for,
    generate_flow,
    iter_project_flows,
    job_id_for,
)
from azkaban_seeder.plan import ProjectPlan, plan_projects
from azkaban_seeder.spec import EnvSpec

_DIGEST_SCRIPT = """
import hashlib
from azkaban_seeder.flows import generate_flow
from azkaban_seeder.spec import EnvSpec
spec = EnvSpec(flow_count=400, shape="mix", seed={seed})
print(hashlib.sha256(repr([generate_flow(spec, i) for i in range(400)]).encode()).hexdigest())
"""


def _digest(seed: int) -> str:
    spec = EnvSpec(flow_count=400, shape="mix", seed=seed)
    flows = [generate_flow(spec, i) for i in range(400)]
    return hashlib.sha256(repr(flows).encode()).hexdigest()


def _digest_in_subprocess(seed: int, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", _DIGEST_SCRIPT.format(seed=seed)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout.strip()


def test_generation_is_identical_across_processes_with_different_hash_salts() -> None:
    here = _digest(5)
    assert _digest_in_subprocess(5, "1") == here
    assert _digest_in_subprocess(5, "4242") == here


def test_a_different_seed_gives_different_flows() -> None:
    assert _digest(5) != _digest(6)


def test_fixed_shapes_ignore_the_seed() -> None:
    a = EnvSpec(flow_count=10, shape="chain:4", seed=1)
    b = EnvSpec(flow_count=10, shape="chain:4", seed=2)
    assert [generate_flow(a, i) for i in range(10)] == [generate_flow(b, i) for i in range(10)]


def test_flow_depends_only_on_its_index_not_on_the_project_split() -> None:
    a = EnvSpec(flow_count=1000, flows_per_project=100, shape="random", seed=9, command="true")
    b = EnvSpec(flow_count=1000, flows_per_project=7, shape="random", seed=9, command="true")
    assert generate_flow(a, 777) == generate_flow(b, 777)


def test_ids_are_fixed_width_and_sort() -> None:
    assert flow_id_for(123) == "flow_000123"
    assert job_id_for("flow_000123", 1) == "flow_000123_j001"
    ids = [flow_id_for(i) for i in (0, 9, 10, 99_999, 999_999)]
    assert ids == sorted(ids)
    assert len({len(i) for i in ids}) == 1
    with pytest.raises(ValueError):
        flow_id_for(1_000_000)
    with pytest.raises(ValueError):
        flow_id_for(-1)


def test_command_template_is_filled_per_job() -> None:
    spec = EnvSpec(
        flow_count=300,
        flows_per_project=100,
        shape="chain:2",
        command="run {project}/{flow}/{job} #{index:05d}",
    )
    flow = generate_flow(spec, 123)
    assert [job.command for job in flow.jobs] == [
        "run stress_00001/flow_000123/flow_000123_j001 #00123",
        "run stress_00001/flow_000123/flow_000123 #00123",
    ]


def test_index_outside_the_spec_is_rejected() -> None:
    spec = EnvSpec(flow_count=10)
    with pytest.raises(ValueError):
        generate_flow(spec, 10)


def test_project_flows_and_expected_ids_agree() -> None:
    spec = EnvSpec(flow_count=250, flows_per_project=100)
    project = plan_projects(spec)[2]
    flows = list(iter_project_flows(spec, project))
    assert [f.flow_id for f in flows] == sorted(expected_flow_ids(project))
    assert expected_flow_ids(project) == {flow_id_for(i) for i in range(200, 250)}
    assert expected_flow_ids(ProjectPlan("x", 5, 1)) == {"flow_000005"}


def test_iter_project_flows_is_lazy() -> None:
    spec = EnvSpec(flow_count=5000, flows_per_project=5000)
    flows = iter_project_flows(spec, plan_projects(spec)[0])
    assert next(flows).flow_id == "flow_000000"
    assert not isinstance(flows, (list, tuple))

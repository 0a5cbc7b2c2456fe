from __future__ import annotations

import random
from functools import cache

import pytest

from azkaban_seeder.flows import Flow, generate_flow
from azkaban_seeder.flows.shapes import (
    RANDOM_MAX_LEVELS,
    RANDOM_MAX_WIDTH,
    chain,
    fanout,
    random_dag,
    single,
)
from azkaban_seeder.spec import EnvSpec


def sinks(flow: Flow) -> set[str]:
    upstream = {dep for job in flow.jobs for dep in job.dependencies}
    return {job.name for job in flow.jobs} - upstream


def depth(flow: Flow) -> int:
    """Jobs on the longest path (raises RecursionError on a cycle of any size)."""
    deps = {job.name: job.dependencies for job in flow.jobs}

    @cache
    def longest(name: str) -> int:
        return 1 + max((longest(d) for d in deps[name]), default=0)

    return max(longest(name) for name in deps)


def is_topological(flow: Flow) -> bool:
    seen: set[str] = set()
    for job in flow.jobs:
        if not set(job.dependencies) <= seen:
            return False
        seen.add(job.name)
    return True


def _flow(graph: list[tuple[str, tuple[str, ...]]]) -> Flow:
    from azkaban_seeder.flows import Job

    return Flow(graph[-1][0], tuple(Job(n, "command", "true", d) for n, d in graph))


def test_single() -> None:
    assert single("flow_000001") == [("flow_000001", ())]


@pytest.mark.parametrize("length", [1, 2, 3, 100])
def test_chain_is_a_line_ending_at_the_root(length: int) -> None:
    flow = _flow(chain("flow_000009", length))
    assert len(flow.jobs) == length
    assert flow.root.name == "flow_000009"
    assert depth(flow) == length
    assert sinks(flow) == {"flow_000009"}
    assert all(len(job.dependencies) <= 1 for job in flow.jobs)
    assert is_topological(flow)


@pytest.mark.parametrize("width", [1, 4, 100])
def test_fanout_is_start_parallel_end(width: int) -> None:
    flow = _flow(fanout("flow_000002", width))
    start, *middle, root = flow.jobs
    assert start.dependencies == ()
    assert len(middle) == width
    assert all(job.dependencies == (start.name,) for job in middle)
    assert set(root.dependencies) == {job.name for job in middle}
    assert root.name == "flow_000002"
    assert sinks(flow) == {root.name}
    assert depth(flow) == 3


def test_random_dags_are_bounded_and_have_one_sink() -> None:
    depths = set()
    for n in range(500):
        flow = _flow(random_dag(f"flow_{n:06d}", random.Random(n)))
        assert sinks(flow) == {flow.flow_id}
        assert is_topological(flow)
        d = depth(flow)
        depths.add(d)
        assert d <= RANDOM_MAX_LEVELS
        assert len(flow.jobs) <= 1 + (RANDOM_MAX_LEVELS - 1) * RANDOM_MAX_WIDTH
        edges = sum(len(job.dependencies) for job in flow.jobs)
        assert edges <= 3 * (len(flow.jobs) - 1)
        names = [job.name for job in flow.jobs]
        assert len(set(names)) == len(names)
        assert all(name.startswith(flow.flow_id) and len(name) <= 128 for name in names)
    # The generator really varies the depth across its whole range.
    assert depths == set(range(1, RANDOM_MAX_LEVELS + 1))


@pytest.mark.parametrize("shape", ["single", "chain:3", "fanout:4", "random", "mix"])
def test_generated_flows_have_one_sink_named_after_the_flow(shape: str) -> None:
    spec = EnvSpec(flow_count=300, shape=shape, seed=11)
    for index in range(300):
        flow = generate_flow(spec, index)
        assert sinks(flow) == {flow.flow_id}
        assert flow.root.name == flow.flow_id
        assert is_topological(flow)
        assert all(job.type == "command" for job in flow.jobs)


def test_mix_draws_every_shape_in_roughly_the_documented_proportions() -> None:
    spec = EnvSpec(flow_count=2000, shape="mix", seed=3)
    sizes = [len(generate_flow(spec, i).jobs) for i in range(2000)]
    singles = sizes.count(1)  # random DAGs with one level are singles too (1/6 of 10%)
    chains = sizes.count(3)
    fanouts = sizes.count(6)
    assert 0.45 * 2000 < singles < 0.60 * 2000
    assert 0.15 * 2000 < chains < 0.27 * 2000
    assert 0.15 * 2000 < fanouts < 0.27 * 2000
    assert any(size > 6 for size in sizes)  # some random DAGs


def test_explicit_mix_weights_are_obeyed() -> None:
    spec = EnvSpec(flow_count=500, shape="mix:chain:2=1,fanout:9=1")
    sizes = {len(generate_flow(spec, i).jobs) for i in range(500)}
    assert sizes == {2, 11}

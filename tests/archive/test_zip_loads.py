"""Every shape, in both formats, must load through the server's own loader rules.

`azkaban_seeder.loaders` implements Azkaban's Flow 1.0 / 2.0 loaders (the sandbox uses it to
accept uploads), so a zip passing here is a zip the server accepts with exactly our flows.
"""

from __future__ import annotations

import pytest

from azkaban_seeder import loaders
from azkaban_seeder.archive import build_project_zip_bytes
from azkaban_seeder.flows import expected_flow_ids, generate_flow
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.spec import EnvSpec

SHAPES = ["single", "chain:1", "chain:4", "chain:100", "fanout:1", "fanout:5", "random", "mix"]


@pytest.mark.parametrize("fmt", ["1.0", "2.0"])
@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_loads_with_exactly_the_expected_flows(fmt: str, shape: str) -> None:
    spec = EnvSpec(
        flow_count=160, flows_per_project=60, flow_format=fmt, shape=shape, seed=13, prefix="ld"
    )
    project = plan_projects(spec)[1]  # a middle project: flows 60..119
    data, summary = build_project_zip_bytes(spec, project)

    result = loaders.load_project_zip(data)

    assert result.errors == []
    assert result.flow_format == fmt
    assert set(result.flows) == expected_flow_ids(project)
    assert summary.flows == len(result.flows)
    for index in project.flow_indexes:
        flow = generate_flow(spec, index)
        loaded = result.flows[flow.flow_id]
        assert not loaded.embedded
        # Every job of the flow is a node of it (Flow 1.0: reachable from the root), with the
        # same upstream edges and command.
        assert set(loaded.nodes) == {job.name for job in flow.jobs}
        for job in flow.jobs:
            node = loaded.nodes[job.name]
            assert node.type == "command"
            assert node.in_ == sorted(job.dependencies)
            assert node.props["command"] == job.command


@pytest.mark.parametrize("fmt", ["1.0", "2.0"])
def test_awkward_commands_survive_the_round_trip(fmt: str) -> None:
    command = " a\\b \"q\" 's' : = # ! é 漢 😀 \x85 \u2028 \ufeff {job} ${{x}} [x] {{y}} "
    spec = EnvSpec(flow_count=2, flow_format=fmt, shape="chain:2", command=command)
    data, _ = build_project_zip_bytes(spec, plan_projects(spec)[0])
    result = loaders.load_project_zip(data)
    assert result.errors == []
    for job in generate_flow(spec, 1).jobs:
        got = result.flows["flow_000001"].nodes[job.name].props["command"]
        # The Flow 1.0 loader keeps Java's UTF-16 view (surrogate pairs); normalise it.
        assert got.encode("utf-16", "surrogatepass").decode("utf-16") == job.command

"""teardown / stale_projects against the sandbox: only our prefixed projects go."""

from __future__ import annotations

from typing import Any

import pytest

from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, ProjectNotFound
from azkaban_seeder.converge import preflight, stale_projects
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.runner import apply
from azkaban_seeder.spec import EnvSpec, RunOptions
from azkaban_seeder.teardown import teardown
from foreign_projects import create_foreign_project
from unique_names import unique_prefix

OPTIONS = RunOptions(processes=1, upload_timeout=15.0, retry_max_seconds=30.0)


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return unique_prefix(request, "d")


def _make_foreign(client: AzkabanClient, name: str, *, empty: bool = False) -> None:
    """A project someone else made by hand: no marker in its description."""
    jobs = None if empty else {"etl_daily": "type=command\ncommand=echo nightly\n"}
    create_foreign_project(client.settings.url, name, jobs)


def _exists(client: AzkabanClient, name: str) -> bool:
    try:
        client.fetch_project_flows(name)
    except ProjectNotFound:
        return False
    return True


def test_teardown_deletes_only_our_prefixed_projects(
    settings: ConnectionSettings, prefix: str
) -> None:
    spec = EnvSpec(flow_count=6, flows_per_project=3, prefix=prefix, schedule="02:00-04:00")
    assert apply(spec, settings, OPTIONS).ok
    ours = [p.name for p in plan_projects(spec)]
    foreign = f"{prefix}_00077"
    empty_foreign = f"{prefix}_00078"
    manual = f"{prefix}_manual"
    other = f"x{prefix}_00001"
    with AzkabanClient(settings) as client:
        _make_foreign(client, foreign)
        _make_foreign(client, empty_foreign, empty=True)
        client.create_project(manual, "hand made")
        client.create_project(other, "another team")

    dry = teardown(prefix, settings, dry_run=True)

    assert sorted(dry.deleted) == ours
    with AzkabanClient(settings) as client:
        assert all(_exists(client, name) for name in [*ours, foreign, manual, other])

    report = teardown(prefix, settings, dry_run=False)

    assert sorted(report.deleted) == ours
    assert report.schedules_removed == 6
    reasons = dict(report.left_alone)
    assert reasons[foreign].startswith("not ours") and "marker" in reasons[foreign]
    # Regression: an empty same-prefix project without our marker is not ours either.
    assert reasons[empty_foreign].startswith("not ours")
    assert reasons[manual] == f"name is not {prefix}_NNNNN"
    assert other not in reasons
    with AzkabanClient(settings) as client:
        assert not any(_exists(client, name) for name in ours)
        assert all(_exists(client, name) for name in [foreign, empty_foreign, manual, other])
        assert not [s for s in client.fetch_schedules() if s.project in ours]


def test_teardown_only_limits_the_candidates(settings: ConnectionSettings, prefix: str) -> None:
    spec = EnvSpec(flow_count=6, flows_per_project=3, prefix=prefix)
    assert apply(spec, settings, OPTIONS).ok
    first, second = (p.name for p in plan_projects(spec))
    foreign = f"{prefix}_00050"
    with AzkabanClient(settings) as client:
        _make_foreign(client, foreign)

    report = teardown(prefix, settings, dry_run=False, only=[first, foreign, f"{prefix}_00099"])

    assert report.deleted == [first]
    reasons = dict(report.left_alone)
    assert reasons[f"{prefix}_00099"] == "does not exist"
    assert reasons[foreign].startswith("not ours")
    with AzkabanClient(settings) as client:
        assert _exists(client, second) and _exists(client, foreign)


def test_stale_projects_are_ours_and_outside_the_plan(
    settings: ConnectionSettings, prefix: str
) -> None:
    big = EnvSpec(flow_count=9, flows_per_project=3, prefix=prefix)
    assert apply(big, settings, OPTIONS).ok
    with AzkabanClient(settings) as client:
        _make_foreign(client, f"{prefix}_00040")
        small = EnvSpec(flow_count=3, flows_per_project=3, prefix=prefix)

        assert stale_projects(small, client) == [f"{prefix}_00001", f"{prefix}_00002"]
        assert stale_projects(big, client) == []


def test_preflight_refuses_a_foreign_project_in_the_plan(
    settings: ConnectionSettings, prefix: str
) -> None:
    spec = EnvSpec(flow_count=6, flows_per_project=3, prefix=prefix)
    with AzkabanClient(settings) as client:
        _make_foreign(client, f"{prefix}_00001")

        problems = preflight(spec, client)

    assert len(problems) == 1
    assert f"{prefix}_00001" in problems[0] and "not ours" in problems[0]


def test_preflight_reports_bad_credentials(sandbox: Any, prefix: str) -> None:
    wrong = ConnectionSettings(url=sandbox.url, user="azkaban", password="wrong", timeout=5.0)
    with AzkabanClient(wrong) as client:
        problems = preflight(EnvSpec(prefix=prefix), client)

    assert len(problems) == 1 and "refused" in problems[0]


def test_a_foreign_project_whose_flow_is_named_after_the_marker_is_left_alone(
    settings: ConnectionSettings, sandbox: Any, prefix: str
) -> None:
    from azkaban_seeder.azkaban import MARKER

    name = f"{prefix}_00000"
    create_foreign_project(sandbox.url, name, {MARKER: "type=command\ncommand=echo hi\n"})

    report = teardown(prefix, settings, dry_run=False)

    assert report.deleted == []
    assert [n for n, _ in report.left_alone] == [name]

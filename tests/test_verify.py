"""verify / independent_count against the sandbox: exact sets, drift, schedules."""

from __future__ import annotations

from typing import Any

import pytest

from azkaban_seeder.archive import build_project_zip_bytes
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, RetryPolicy
from azkaban_seeder.flows import flow_id_for
from azkaban_seeder.plan import ProjectPlan, plan_projects
from azkaban_seeder.report import verify_lines
from azkaban_seeder.runner import apply
from azkaban_seeder.spec import EnvSpec, RunOptions
from azkaban_seeder.verify import VerifyReport, independent_count, project_pattern, verify
from unique_names import unique_prefix


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return unique_prefix(request, "v")


OPTIONS = RunOptions(processes=1, upload_timeout=15.0, retry_max_seconds=30.0)


def _spec(prefix: str, **overrides: object) -> EnvSpec:
    values: dict[str, object] = {"flow_count": 15, "flows_per_project": 5, "prefix": prefix}
    values.update(overrides)
    return EnvSpec.from_mapping(values)


def test_verify_is_ok_after_apply_and_counts_agree(
    settings: ConnectionSettings, prefix: str
) -> None:
    spec = _spec(prefix)
    assert apply(spec, settings, OPTIONS).ok

    report = verify(spec, settings, plan_projects(spec))

    assert report.ok, report.to_dict()
    assert (report.present, report.expected_flows, report.missing_count) == (15, 15, 0)
    assert independent_count(settings, prefix) == 15


def test_verify_reports_missing_unexpected_and_missing_projects(
    settings: ConnectionSettings, prefix: str
) -> None:
    spec = _spec(prefix)
    assert apply(spec, settings, OPTIONS).ok
    first, second, _third = plan_projects(spec)
    # Project 0 now holds flows 2..6: flows 0 and 1 missing, flows 5 and 6 unexpected.
    shifted = ProjectPlan(first.name, first_flow=2, flow_count=5)
    with AzkabanClient(settings) as client:
        client.upload_project(first.name, build_project_zip_bytes(spec, shifted)[0])
        client.delete_project(second.name)

    report = verify(spec, settings, plan_projects(spec))

    assert not report.ok
    assert report.missing == {first.name: [flow_id_for(0), flow_id_for(1)]}
    assert report.unexpected == {first.name: [flow_id_for(5), flow_id_for(6)]}
    assert report.missing_projects == [second.name]
    assert report.present == 3 + 5
    assert report.missing_count == 2 + 5
    data = report.to_dict()
    assert data["ok"] is False and data["unexpected_count"] == 2
    assert independent_count(settings, prefix) == 5 + 5


def test_verify_compares_schedules_flow_by_flow(settings: ConnectionSettings, prefix: str) -> None:
    spec = _spec(prefix, flow_count=6, flows_per_project=3, schedule="01:00-03:00")
    result = apply(spec, settings, OPTIONS)
    assert result.ok, result.to_dict()
    assert sum(p.scheduled for s in result.shards for p in s.projects) == 6
    assert verify(spec, settings, plan_projects(spec)).ok

    first = plan_projects(spec)[0]
    with AzkabanClient(settings) as client:
        mine = [s for s in client.fetch_schedules() if s.project == first.name]
        gone = next(s for s in mine if s.flow == flow_id_for(0))
        client.remove_schedule(gone.schedule_id)
        client.schedule_cron_flow(first.name, flow_id_for(1), "0 59 23 ? * *")

    report = verify(spec, settings, plan_projects(spec))

    assert report.schedules_checked
    assert report.schedule_missing == {first.name: [flow_id_for(0)]}
    assert list(report.schedule_wrong) == [first.name]
    assert list(report.schedule_wrong[first.name]) == [flow_id_for(1)]
    assert "0 59 23 ? * *" in report.schedule_wrong[first.name][flow_id_for(1)]
    assert not report.ok


def test_projects_that_could_not_be_read_are_counted_so_verify_never_looks_clean(
    sandbox: Any, settings: ConnectionSettings, prefix: str
) -> None:
    # Regression: a verify whose reads failed (a dead server) printed "missing 15 ... missing
    # projects 0" with no word of the unreadable projects: `errors` was in no count.
    spec = _spec(prefix)
    assert apply(spec, settings, OPTIONS).ok
    sandbox.server.controls.set_faults(rate=1.0, seed=1, kinds=["http500"])
    client = AzkabanClient(settings, RetryPolicy(attempts=1).with_waits(0))

    report = verify(spec, client, plan_projects(spec))

    assert not report.ok
    assert (report.error_count, report.unread_flows, report.present) == (3, 15, 0)
    assert report.missing_count == 15 and report.missing_projects == []
    data = report.to_dict()
    assert (data["ok"], data["error_count"], data["unread_flows"]) == (False, 3, 15)
    assert VerifyReport.from_dict(data) == report
    text = "\n".join(verify_lines(report))
    assert "verify: MISMATCH" in text and "unreadable projects 3" in text
    assert "read errors: 3 project(s), 15 flow(s) not read" in text


def test_a_schedule_list_that_cannot_be_read_is_reported_not_raised(
    sandbox: Any, settings: ConnectionSettings, prefix: str
) -> None:
    # Regression: with schedules on, a server that stopped answering made verify raise from
    # fetchSchedules instead of returning its report.
    spec = _spec(prefix, flow_count=6, flows_per_project=3, schedule="01:00-03:00")
    assert apply(spec, settings, OPTIONS).ok
    sandbox.server.controls.set_faults(rate=1.0, seed=1, kinds=["http500"])
    client = AzkabanClient(settings, RetryPolicy(attempts=1).with_waits(0))

    report = verify(spec, client, plan_projects(spec))

    assert not report.ok
    assert not report.schedules_checked
    assert "AzkabanServerError" in report.schedule_error or "500" in report.schedule_error
    assert VerifyReport.from_dict(report.to_dict()) == report
    text = "\n".join(verify_lines(report))
    assert "schedules: not checked, the schedule list was not read" in text


def test_project_pattern_matches_planned_names_only() -> None:
    pattern = project_pattern("stress")
    assert pattern.fullmatch("stress_00012")
    assert pattern.fullmatch("stress_123456")
    assert not pattern.fullmatch("stress_12")
    assert not pattern.fullmatch("stressX_00012")
    assert not pattern.fullmatch("stress_manual")

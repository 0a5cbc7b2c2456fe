"""Compare what Azkaban holds with the plan, flow by flow, as exact sets.

For every planned project: ``GET /manager?ajax=fetchprojectflows`` (a small thread pool, since
each call is one short request). When the spec schedules flows: one
``GET /schedule?ajax=fetchSchedules`` and a per-flow comparison of the cron expressions.
`independent_count` recounts from scratch (``GET /index?ajax=fetchallprojects`` then
``fetchprojectflows`` per project of the prefix) without using the plan at all.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any

from azkaban_seeder.azkaban import (
    THREADS,
    AzkabanClient,
    AzkabanError,
    ClientPerThread,
    ConnectionSettings,
    ProjectNotFound,
)
from azkaban_seeder.flows import expected_flow_ids, flow_id_for, has_schedules, schedule_of
from azkaban_seeder.plan import ProjectPlan
from azkaban_seeder.spec import EnvSpec

logger = logging.getLogger(__name__)


def project_pattern(prefix: str) -> re.Pattern[str]:
    """Names `plan.project_name` produces for ``prefix``: ``{prefix}_`` + 5 or 6 digits."""
    return re.compile(re.escape(prefix) + r"_\d{5,6}")


@dataclass
class VerifyReport:
    """Outcome of `verify`. Flow lists are sorted; dicts only hold projects with differences.

    ``missing`` / ``unexpected``: per existing project, planned flows absent / extra flows
    present. ``missing_projects``: planned projects that do not exist (all their flows are
    counted in ``missing_count``). ``errors``: projects whose flows could not be fetched
    (``error_count`` of them); their ``unread_flows`` are not confirmed present, so they are
    counted in ``missing_count`` too, and any error makes the report not ``ok``.
    """

    expected_projects: int = 0
    expected_flows: int = 0
    present: int = 0
    missing: dict[str, list[str]] = field(default_factory=dict)
    unexpected: dict[str, list[str]] = field(default_factory=dict)
    missing_projects: list[str] = field(default_factory=list)
    missing_project_flows: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    unread_flows: int = 0
    schedules_checked: bool = False
    schedule_missing: dict[str, list[str]] = field(default_factory=dict)
    schedule_wrong: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Why the schedules could not be read ("" when they were, or were not needed).
    schedule_error: str = ""
    seconds: float = 0.0

    @property
    def missing_count(self) -> int:
        return sum(len(v) for v in self.missing.values()) + self.missing_project_flows

    @property
    def unexpected_count(self) -> int:
        return sum(len(v) for v in self.unexpected.values())

    @property
    def error_count(self) -> int:
        """Planned projects whose flows could not be read."""
        return len(self.errors)

    @property
    def ok(self) -> bool:
        return not (
            self.missing
            or self.unexpected
            or self.missing_projects
            or self.errors
            or self.schedule_missing
            or self.schedule_wrong
            or self.schedule_error
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VerifyReport:
        """Read `to_dict`'s form back (derived counts such as ``ok`` are recomputed)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "expected_projects": self.expected_projects,
            "expected_flows": self.expected_flows,
            "present": self.present,
            "missing_count": self.missing_count,
            "unexpected_count": self.unexpected_count,
            "missing": self.missing,
            "unexpected": self.unexpected,
            "missing_projects": self.missing_projects,
            "missing_project_flows": self.missing_project_flows,
            "error_count": self.error_count,
            "unread_flows": self.unread_flows,
            "errors": self.errors,
            "schedules_checked": self.schedules_checked,
            "schedule_missing_count": sum(len(v) for v in self.schedule_missing.values()),
            "schedule_wrong_count": sum(len(v) for v in self.schedule_wrong.values()),
            "schedule_missing": self.schedule_missing,
            "schedule_wrong": self.schedule_wrong,
            "schedule_error": self.schedule_error,
            "seconds": self.seconds,
        }


def _fetch(clients: ClientPerThread, name: str) -> tuple[str, set[str] | None, str | None]:
    """(project, flow ids or None if the project is missing, error text)."""
    try:
        return name, set(clients.get().fetch_project_flows(name)), None
    except ProjectNotFound:
        return name, None, None
    except Exception as exc:  # reported per project; verify must finish and say what failed
        return name, None, f"{type(exc).__name__}: {exc}"


def verify(
    spec: EnvSpec,
    settings_or_client: ConnectionSettings | AzkabanClient,
    projects: Iterable[ProjectPlan],
) -> VerifyReport:
    """Fetch each planned project's flows and compare with the plan as exact sets; with
    ``spec.schedule`` on, also compare every flow's cron schedule."""
    started = time.monotonic()
    plans = list(projects)
    report = VerifyReport(
        expected_projects=len(plans), expected_flows=sum(p.flow_count for p in plans)
    )
    with (
        ClientPerThread(settings_or_client) as clients,
        ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="verify") as pool,
    ):
        fetched = list(pool.map(lambda p: _fetch(clients, p.name), plans))
        for plan, (_name, actual, error) in zip(plans, fetched, strict=True):
            _compare(report, plan, actual, error)
        if has_schedules(spec):
            try:
                schedules = clients.get().fetch_schedules()
            except AzkabanError as exc:
                # A report, not an exception: the flows' outcome above still counts.
                report.schedule_error = f"{type(exc).__name__}: {exc}"
            else:
                _compare_schedules(report, spec, plans, schedules)
    report.missing_projects.sort()
    report.seconds = round(time.monotonic() - started, 3)
    logger.info(
        "verify: %d/%d flows present, %d missing, %d unexpected, %d missing project(s), "
        "%d unreadable project(s) (%d flows not read)",
        report.present,
        report.expected_flows,
        report.missing_count,
        report.unexpected_count,
        len(report.missing_projects),
        report.error_count,
        report.unread_flows,
    )
    return report


def _compare(
    report: VerifyReport, plan: ProjectPlan, actual: set[str] | None, error: str | None
) -> None:
    if error is not None:
        report.errors[plan.name] = error
        report.unread_flows += plan.flow_count
        report.missing_project_flows += plan.flow_count
        return
    if actual is None:
        report.missing_projects.append(plan.name)
        report.missing_project_flows += plan.flow_count
        return
    expected = expected_flow_ids(plan)
    report.present += len(expected & actual)
    if expected - actual:
        report.missing[plan.name] = sorted(expected - actual)
    if actual - expected:
        report.unexpected[plan.name] = sorted(actual - expected)


def _schedule_key(item: Any) -> tuple[str, str, str]:
    """(project, flow, cron) of one fetchSchedules item (record or raw dict)."""
    if isinstance(item, dict):
        return (
            str(item.get("projectname", item.get("project", ""))),
            str(item.get("flowname", item.get("flow", ""))),
            str(item.get("cron", "")),
        )
    return str(item.project), str(item.flow), str(item.cron)


def _compare_schedules(
    report: VerifyReport, spec: EnvSpec, plans: list[ProjectPlan], schedules: Iterable[Any]
) -> None:
    report.schedules_checked = True
    actual: dict[tuple[str, str], str] = {}
    for item in schedules:
        project, flow, cron = _schedule_key(item)
        actual[(project.lower(), flow)] = cron
    for plan in plans:
        if plan.name in report.missing_projects:
            continue
        for index in plan.flow_indexes:
            flow = flow_id_for(index)
            expected = schedule_of(spec, index)
            found = actual.get((plan.name.lower(), flow))
            if expected is None:
                continue  # not scheduled by the plan (a profile's unscheduled share)
            if found is None:
                report.schedule_missing.setdefault(plan.name, []).append(flow)
            elif found != expected:
                wrong = report.schedule_wrong.setdefault(plan.name, {})
                wrong[flow] = f"expected {expected!r}, found {found!r}"


def independent_count(settings_or_client: ConnectionSettings | AzkabanClient, prefix: str) -> int:
    """Total flows in all projects named ``{prefix}_NNNNN``, counted without the plan:
    ``fetchallprojects`` then ``fetchprojectflows`` per matching project."""
    pattern = project_pattern(prefix)
    with (
        ClientPerThread(settings_or_client) as clients,
        ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="count") as pool,
    ):
        projects = clients.get().fetch_all_projects()
        names = [p.name for p in projects if pattern.fullmatch(p.name)]
        counts = list(pool.map(lambda n: len(clients.get().fetch_project_flows(n)), names))
    return sum(counts)

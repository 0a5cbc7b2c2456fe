"""Delete the projects of a prefix that azkaban-seeder made, and nothing else.

A project is deleted only if its name is ``{prefix}_NNNNN`` AND it is ours by the client's
ownership rule (`azkaban_seeder.azkaban.ownership`). Its schedules are removed first
(``POST /schedule action=removeSched``), then the project (``GET /manager?delete=true``).
Everything else carrying the prefix is listed in ``left_alone`` with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from azkaban_seeder.azkaban import (
    AzkabanClient,
    AzkabanError,
    ConnectionSettings,
    RetryPolicy,
    ScheduleInfo,
)
from azkaban_seeder.converge import ownership_of
from azkaban_seeder.verify import project_pattern

logger = logging.getLogger(__name__)


@dataclass
class TeardownReport:
    """``deleted``: names deleted (with ``dry_run``: that would be deleted);
    ``left_alone``: (name, reason) pairs; ``failed``: (name, error) for deletes that failed."""

    prefix: str
    dry_run: bool
    deleted: list[str] = field(default_factory=list)
    left_alone: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    schedules_removed: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "dry_run": self.dry_run,
            "deleted": self.deleted,
            "left_alone": [{"project": n, "reason": r} for n, r in self.left_alone],
            "failed": [{"project": n, "error": r} for n, r in self.failed],
            "schedules_removed": self.schedules_removed,
        }


def _candidates(
    prefix: str, names: list[str], only: Iterable[str] | None, report: TeardownReport
) -> list[str]:
    """Names that carry the prefix pattern; notes the rest of the prefix's names."""
    pattern = project_pattern(prefix)
    if only is not None:
        existing = {n.lower(): n for n in names}
        chosen = []
        for wanted in only:
            if wanted.lower() not in existing:
                report.left_alone.append((wanted, "does not exist"))
            else:
                chosen.append(existing[wanted.lower()])
        names = chosen
    selected = []
    for name in names:
        if pattern.fullmatch(name):
            selected.append(name)
        elif only is not None or name.lower().startswith(prefix.lower()):
            report.left_alone.append((name, f"name is not {prefix}_NNNNN"))
    return selected


def _remove_project(
    client: AzkabanClient, name: str, schedules: list[ScheduleInfo], report: TeardownReport
) -> None:
    try:
        for schedule in schedules:
            if (schedule.project or "").lower() == name.lower():
                client.remove_schedule(schedule.schedule_id)
                report.schedules_removed += 1
        client.delete_project(name)
    except AzkabanError as exc:
        logger.warning("teardown: deleting %s failed: %s", name, exc)
        report.failed.append((name, str(exc)))
        return
    report.deleted.append(name)


def teardown(
    prefix: str,
    settings: ConnectionSettings,
    *,
    dry_run: bool,
    only: Iterable[str] | None = None,
    retry: RetryPolicy | None = None,
) -> TeardownReport:
    """Delete our ``{prefix}_NNNNN`` projects (or only those of ``only``), schedules first."""
    report = TeardownReport(prefix=prefix, dry_run=dry_run)
    with AzkabanClient(settings, retry) as client:
        names = [p.name for p in client.fetch_all_projects()]
        candidates = _candidates(prefix, names, list(only) if only is not None else None, report)
        owners = ownership_of(client, candidates)
        ours = []
        for name in candidates:
            if name not in owners:
                report.left_alone.append((name, "vanished while checking"))
            elif owners[name] is not None:
                report.left_alone.append((name, f"not ours: {owners[name]}"))
            else:
                ours.append(name)
        if dry_run:
            report.deleted.extend(ours)
        elif ours:
            schedules = client.fetch_schedules()
            for name in ours:
                _remove_project(client, name, schedules, report)
    logger.info(
        "teardown %s: %s %d, left alone %d, failed %d",
        prefix,
        "would delete" if dry_run else "deleted",
        len(report.deleted),
        len(report.left_alone),
        len(report.failed),
    )
    return report

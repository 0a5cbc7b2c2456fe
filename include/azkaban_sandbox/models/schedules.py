"""Cron schedules (reference 4.7-4.9): Quartz validation, upsert per flow, removal.

The servlet's quirks are kept: an unparsable cron is `InvalidCron` (reply without `status`),
a missing `cronExpression` is reported next to a success with schedule id -1 and nothing is
stored (`ScheduleResult.error`).
"""

from __future__ import annotations

from dataclasses import dataclass

from azkaban_sandbox import errors
from azkaban_sandbox.clock import SandboxClock
from azkaban_sandbox.models.flows import FlowsModel
from azkaban_sandbox.models.options import ExecOptions
from azkaban_sandbox.models.projects import ProjectsModel
from azkaban_sandbox.store.records import ScheduleRecord
from azkaban_sandbox.store.schedules import ScheduleTable
from azkaban_seeder.loaders.cron import is_valid_quartz, parse_quartz

DEFAULT_END_SCHED_TIME = 2_524_608_000_000  # 2050-01-01 UTC, DEFAULT_SCHEDULE_END_EPOCH_TIME


@dataclass(frozen=True)
class ScheduleResult:
    """A scheduleCronFlow that "succeeded": the id (-1: not stored) and an error shown beside it."""

    schedule_id: int
    error: str | None = None


@dataclass(frozen=True)
class ScheduleView:
    """A stored schedule with its options and next fire time (ms; None when there is none)."""

    record: ScheduleRecord
    options: ExecOptions
    next_exec_ms: int | None


@dataclass(frozen=True)
class CronRequest:
    """What `scheduleCronFlow` asks for (options None with `option_error` when unparsable)."""

    project_name: str
    flow_id: str
    cron: str | None
    end_sched_time: int = DEFAULT_END_SCHED_TIME
    options: ExecOptions | None = None
    option_error: str | None = None


class SchedulesModel:
    """Schedule state and rules."""

    def __init__(
        self,
        projects: ProjectsModel,
        flows: FlowsModel,
        table: ScheduleTable,
        clock: SandboxClock,
    ) -> None:
        self.projects = projects
        self.flows = flows
        self.table = table
        self.clock = clock

    def _check(self, user: str, ask: CronRequest) -> int:
        project = self.projects.get(ask.project_name)
        if project is None:
            raise errors.ScheduleRefused(errors.SCHED_NO_PROJECT.format(name=ask.project_name))
        if not self.projects.has_permission(user, project, "SCHEDULE"):
            raise errors.ScheduleRefused(errors.SCHED_DENIED.format(flow=ask.flow_id))
        if not self.flows.exists(project, ask.flow_id):
            text = errors.SCHED_NO_FLOW.format(flow=ask.flow_id, project=ask.project_name)
            raise errors.ScheduleRefused(text)
        if ask.cron is not None and not is_valid_quartz(ask.cron, self.clock.now_local()):
            raise errors.InvalidCron(errors.SCHED_BAD_CRON.format(expr=ask.cron))
        return project.id

    def schedule_cron(self, user: str, ask: CronRequest) -> ScheduleResult:
        """`ajax=scheduleCronFlow` (ScheduleServlet.ajaxScheduleCronFlow), incl. its quirks."""
        project_id = self._check(user, ask)
        error = ask.option_error or (errors.SCHED_NO_CRON if ask.cron is None else None)
        if ask.cron is None:
            # Schedule.updateTime: without a cron the schedule is built but never stored.
            return ScheduleResult(-1, error)
        now_ms = self.clock.now_ms()
        record = ScheduleRecord(
            -1,
            project_id,
            ask.project_name,
            ask.flow_id,
            ask.cron,
            now_ms,
            ask.end_sched_time,
            user,
            now_ms,
            (ask.options or ExecOptions()).dumps(),
            False,
        )
        return ScheduleResult(self.table.upsert(record), error)

    def _next_exec_ms(self, cron: str) -> int | None:
        try:
            fire = parse_quartz(cron).next_fire_time(self.clock.now_local())
        except ValueError:
            return None
        return int(fire.timestamp() * 1000) if fire else None

    def find(self, project_id: int, flow_id: str) -> ScheduleView | None:
        """`ajax=fetchSchedule`: the flow's schedule, if any (no permission check)."""
        rec = self.table.for_flow(project_id, flow_id)
        if rec is None:
            return None
        return ScheduleView(rec, ExecOptions.loads(rec.options), self._next_exec_ms(rec.cron))

    def all(self) -> list[ScheduleRecord]:
        """`ajax=fetchSchedules`: every schedule, no permission filter."""
        return self.table.all()

    def remove(self, user: str, schedule_id: int) -> ScheduleRecord:
        """`POST /schedule action=removeSched` (ScheduleServlet.ajaxRemoveSched)."""
        rec = self.table.get(schedule_id)
        if rec is None:
            raise errors.ScheduleRefused(errors.REMOVE_UNKNOWN.format(id=schedule_id))
        project = self.projects.active_by_id(rec.project_id)
        if project is None:
            raise errors.ScheduleRefused(errors.REMOVE_NO_PROJECT.format(id=rec.project_id))
        if not self.projects.has_permission(user, project, "SCHEDULE"):
            raise errors.ScheduleRefused(errors.REMOVE_DENIED.format(id=schedule_id))
        self.table.delete(schedule_id)
        return rec

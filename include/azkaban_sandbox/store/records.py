"""The rows the sandbox stores, as typed records (named like their table columns)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar


@dataclass
class ProjectRecord:
    """A row of `projects` (`version` 0 until the first upload)."""

    id: int
    name: str
    description: str
    active: bool
    version: int
    created_by: str
    created_time: int
    modified_by: str
    modified_time: int


@dataclass
class VersionRow:
    """A row of `project_versions` (the uploaded zip is kept on disk)."""

    project_id: int
    version: int
    file_name: str
    file_size: int
    md5: str
    flow_format: str
    upload_user: str
    upload_time: int


@dataclass
class FlowRow:
    """A stored flow graph (JSON text as written by the flows model)."""

    flow_id: str
    embedded: bool
    graph: str


@dataclass
class ScheduleRecord:
    """A row of `schedules`; at most one per (project_id, flow_id)."""

    schedule_id: int
    project_id: int
    project_name: str
    flow_id: str
    cron: str
    first_sched_time: int
    end_sched_time: int
    submit_user: str
    submit_time: int
    options: str
    back_execute_once: bool


@dataclass
class ExecutionRecord:
    """A row of `executions`; status is derived from the clock unless `final_status` is set."""

    exec_id: int
    project_id: int
    project_name: str
    flow_id: str
    version: int
    submit_user: str
    submit_time: int
    step_ms: int
    will_fail: bool
    final_status: str | None
    end_time: int
    options: str


@dataclass
class ExecutionJobRow:
    """A row of `execution_jobs`: one job of a loaded execution (``nested_id`` is the job's
    path, ``inner:x`` inside embedded flow node ``inner``); times in ms, -1 when unset."""

    exec_id: int
    nested_id: str
    status: str
    start_time: int
    end_time: int
    attempt: int


Record = TypeVar(
    "Record", ProjectRecord, VersionRow, ScheduleRecord, ExecutionRecord, ExecutionJobRow
)


def columns(record: type[Any]) -> str:
    """The SELECT column list of a record: its fields, in order."""
    return ", ".join(f.name for f in fields(record))


def from_row(record: type[Record], row: tuple) -> Record:
    """A record from a row selected with `columns(record)`; SQLite stores booleans as 0/1."""
    values: list[Any] = [
        bool(v) if f.type == "bool" else v for f, v in zip(fields(record), row, strict=True)
    ]
    return record(*values)

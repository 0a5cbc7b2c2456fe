"""SQLite persistence for the sandbox, one table class per area over one `Database`.

`records` holds the typed rows, `db` the connection and schema, `projects` the projects,
versions and flows tables, `schedules` and `executions` theirs.
"""

from __future__ import annotations

from pathlib import Path

from azkaban_sandbox.store.db import Database
from azkaban_sandbox.store.executions import ExecutionTable
from azkaban_sandbox.store.projects import ProjectTable
from azkaban_sandbox.store.records import (
    ExecutionJobRow,
    ExecutionRecord,
    FlowRow,
    ProjectRecord,
    ScheduleRecord,
    VersionRow,
)
from azkaban_sandbox.store.schedules import ScheduleTable

__all__ = [
    "ExecutionJobRow",
    "ExecutionRecord",
    "FlowRow",
    "ProjectRecord",
    "ScheduleRecord",
    "Store",
    "VersionRow",
]


class Store:
    """The sandbox database (`<data dir>/sandbox.db`) and its tables."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path)
        self.projects = ProjectTable(self.db)
        self.schedules = ScheduleTable(self.db)
        self.executions = ExecutionTable(self.db)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

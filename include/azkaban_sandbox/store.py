"""SQLite persistence for the sandbox: projects, versions, flows, schedules, executions.

One connection in WAL mode, guarded by a lock (SQLite serialises writers anyway; readers are
sub-millisecond). Projects are soft-deleted (`active=0`) like Azkaban's `projects` table, so a
deleted name can be reused by a new project with a new id. Only the current version's flows are
kept; older versions are remembered by their `project_versions` row (zip files on disk).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    description TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_time INTEGER NOT NULL,
    modified_by TEXT NOT NULL,
    modified_time INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_name ON projects (name_lower, active);
CREATE TABLE IF NOT EXISTS project_versions (
    project_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    flow_format TEXT NOT NULL,
    upload_user TEXT NOT NULL,
    upload_time INTEGER NOT NULL,
    PRIMARY KEY (project_id, version)
);
CREATE TABLE IF NOT EXISTS flows (
    project_id INTEGER NOT NULL,
    flow_id TEXT NOT NULL,
    embedded INTEGER NOT NULL,
    graph TEXT NOT NULL,
    PRIMARY KEY (project_id, flow_id)
);
CREATE TABLE IF NOT EXISTS schedules (
    schedule_id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    project_name TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    cron TEXT NOT NULL,
    first_sched_time INTEGER NOT NULL,
    end_sched_time INTEGER NOT NULL,
    submit_user TEXT NOT NULL,
    submit_time INTEGER NOT NULL,
    options TEXT NOT NULL,
    back_execute_once INTEGER NOT NULL,
    UNIQUE (project_id, flow_id)
);
CREATE TABLE IF NOT EXISTS executions (
    exec_id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    project_name TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    submit_user TEXT NOT NULL,
    submit_time INTEGER NOT NULL,
    step_ms INTEGER NOT NULL,
    will_fail INTEGER NOT NULL,
    final_status TEXT,
    end_time INTEGER NOT NULL DEFAULT -1,
    options TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_flow ON executions (project_id, flow_id);
"""


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
class FlowRow:
    """A stored flow graph (JSON text as written by the models)."""

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


_Record = TypeVar("_Record", ScheduleRecord, ExecutionRecord)


def _columns(record: type[Any]) -> str:
    """The SELECT column list of a record: its fields, in order (named like the table's)."""
    return ", ".join(f.name for f in fields(record))


def _from_row(record: type[_Record], row: tuple) -> _Record:
    """A record from a row selected with `_columns(record)`; SQLite stores booleans as 0/1."""
    values: list[Any] = [
        bool(v) if f.type == "bool" else v for f, v in zip(fields(record), row, strict=True)
    ]
    return record(*values)


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


class Store:
    """The sandbox database. All methods are thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection (the server calls this on stop)."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction under the store lock; rolls back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _all(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def _one(self, sql: str, args: Iterable[object] = ()) -> tuple | None:
        with self._lock:
            row: tuple | None = self._conn.execute(sql, tuple(args)).fetchone()
            return row

    # --- projects ---
    _PROJECT_COLS = (
        "id, name, description, active, version, created_by, created_time, modified_by, "
        "modified_time"
    )

    @staticmethod
    def _project(row: tuple | None) -> ProjectRecord | None:
        if row is None:
            return None
        return ProjectRecord(
            row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7], row[8]
        )

    def insert_project(self, name: str, description: str, user: str, now_ms: int) -> int:
        """INSERT a new active project; returns its id."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO projects (name, name_lower, description, created_by, created_time,"
                " modified_by, modified_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, name.lower(), description, user, now_ms, user, now_ms),
            )
            return int(cur.lastrowid or 0)

    def active_project(self, name: str) -> ProjectRecord | None:
        """The active project with this name, compared case-insensitively."""
        return self._project(
            self._one(
                f"SELECT {self._PROJECT_COLS} FROM projects WHERE name_lower=? AND active=1",
                (name.lower(),),
            )
        )

    def inactive_project(self, name: str) -> ProjectRecord | None:
        """The newest deleted project with this name, if any."""
        return self._project(
            self._one(
                f"SELECT {self._PROJECT_COLS} FROM projects WHERE name_lower=? AND active=0 "
                "ORDER BY id DESC LIMIT 1",
                (name.lower(),),
            )
        )

    def project_by_id(self, project_id: int) -> ProjectRecord | None:
        """Any project (active or not) by id."""
        return self._project(
            self._one(f"SELECT {self._PROJECT_COLS} FROM projects WHERE id=?", (project_id,))
        )

    def active_projects(self) -> list[ProjectRecord]:
        """All active projects, by id."""
        rows = self._all(f"SELECT {self._PROJECT_COLS} FROM projects WHERE active=1 ORDER BY id")
        return [p for p in map(self._project, rows) if p is not None]

    def deactivate_project(self, project_id: int, user: str, now_ms: int) -> None:
        """Soft delete: the row stays, the name becomes reusable."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE projects SET active=0, modified_by=?, modified_time=? WHERE id=?",
                (user, now_ms, project_id),
            )
            conn.execute("DELETE FROM schedules WHERE project_id=?", (project_id,))

    # --- versions and flows ---
    def save_version(self, version: VersionRow, flows: list[FlowRow]) -> list[str]:
        """Persist an upload: version row, replaced flow set, project version; one transaction.

        Schedules of flows that no longer exist are removed; their flow ids are returned.
        """
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO project_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    version.project_id,
                    version.version,
                    version.file_name,
                    version.file_size,
                    version.md5,
                    version.flow_format,
                    version.upload_user,
                    version.upload_time,
                ),
            )
            conn.execute("DELETE FROM flows WHERE project_id=?", (version.project_id,))
            conn.executemany(
                "INSERT INTO flows VALUES (?, ?, ?, ?)",
                ((version.project_id, f.flow_id, int(f.embedded), f.graph) for f in flows),
            )
            kept = {f.flow_id for f in flows}
            scheduled = conn.execute(
                "SELECT schedule_id, flow_id FROM schedules WHERE project_id=?",
                (version.project_id,),
            ).fetchall()
            dropped = [(sid, fid) for sid, fid in scheduled if fid not in kept]
            conn.executemany(
                "DELETE FROM schedules WHERE schedule_id=?", ((sid,) for sid, _ in dropped)
            )
            conn.execute(
                "UPDATE projects SET version=?, modified_by=?, modified_time=? WHERE id=?",
                (version.version, version.upload_user, version.upload_time, version.project_id),
            )
            return [fid for _, fid in dropped]

    def max_version(self, project_id: int) -> int:
        """`SELECT MAX(version) FROM project_versions` (0 when none)."""
        row = self._one(
            "SELECT MAX(version) FROM project_versions WHERE project_id=?", (project_id,)
        )
        return int(row[0]) if row and row[0] is not None else 0

    def version_row(self, project_id: int, version: int) -> VersionRow | None:
        """One `project_versions` row."""
        row = self._one(
            "SELECT * FROM project_versions WHERE project_id=? AND version=?",
            (project_id, version),
        )
        return VersionRow(*row) if row else None

    def flow_ids(self, project_id: int, include_embedded: bool = False) -> list[str]:
        """Ids of the project's current flows, sorted."""
        sql = "SELECT flow_id FROM flows WHERE project_id=?"
        if not include_embedded:
            sql += " AND embedded=0"
        return [r[0] for r in self._all(sql + " ORDER BY flow_id", (project_id,))]

    def flow(self, project_id: int, flow_id: str) -> FlowRow | None:
        """One stored flow graph."""
        row = self._one(
            "SELECT flow_id, embedded, graph FROM flows WHERE project_id=? AND flow_id=?",
            (project_id, flow_id),
        )
        return FlowRow(row[0], bool(row[1]), row[2]) if row else None

    def flow_count(self) -> int:
        """Number of flows (embedded included) across active projects."""
        row = self._one(
            "SELECT COUNT(*) FROM flows JOIN projects ON flows.project_id = projects.id "
            "WHERE projects.active=1"
        )
        return int(row[0]) if row else 0

    # --- schedules ---
    _SCHED_COLS = _columns(ScheduleRecord)

    @staticmethod
    def _schedule(row: tuple) -> ScheduleRecord:
        return _from_row(ScheduleRecord, row)

    def upsert_schedule(self, rec: ScheduleRecord) -> int:
        """Insert or update the (project, flow) schedule, keeping an existing id."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT schedule_id FROM schedules WHERE project_id=? AND flow_id=?",
                (rec.project_id, rec.flow_id),
            ).fetchone()
            values = (
                rec.project_name,
                rec.cron,
                rec.first_sched_time,
                rec.end_sched_time,
                rec.submit_user,
                rec.submit_time,
                rec.options,
                int(rec.back_execute_once),
            )
            if row:
                conn.execute(
                    "UPDATE schedules SET project_name=?, cron=?, first_sched_time=?, "
                    "end_sched_time=?, submit_user=?, submit_time=?, options=?, "
                    "back_execute_once=? WHERE schedule_id=?",
                    (*values, row[0]),
                )
                return int(row[0])
            cur = conn.execute(
                "INSERT INTO schedules (project_id, flow_id, project_name, cron, "
                "first_sched_time, end_sched_time, submit_user, submit_time, options, "
                "back_execute_once) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.project_id, rec.flow_id, *values),
            )
            return int(cur.lastrowid or 0)

    def schedule_for_flow(self, project_id: int, flow_id: str) -> ScheduleRecord | None:
        """The schedule of one flow, if any."""
        row = self._one(
            f"SELECT {self._SCHED_COLS} FROM schedules WHERE project_id=? AND flow_id=?",
            (project_id, flow_id),
        )
        return self._schedule(row) if row else None

    def schedule(self, schedule_id: int) -> ScheduleRecord | None:
        """One schedule by id."""
        row = self._one(
            f"SELECT {self._SCHED_COLS} FROM schedules WHERE schedule_id=?", (schedule_id,)
        )
        return self._schedule(row) if row else None

    def schedules(self) -> list[ScheduleRecord]:
        """All schedules, by id."""
        rows = self._all(f"SELECT {self._SCHED_COLS} FROM schedules ORDER BY schedule_id")
        return [self._schedule(r) for r in rows]

    def delete_schedule(self, schedule_id: int) -> None:
        """Remove one schedule."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM schedules WHERE schedule_id=?", (schedule_id,))

    # --- executions ---
    _EXEC_COLS = _columns(ExecutionRecord)

    @staticmethod
    def _execution(row: tuple) -> ExecutionRecord:
        return _from_row(ExecutionRecord, row)

    def insert_execution(self, rec: ExecutionRecord) -> int:
        """INSERT an execution; returns the new exec id."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO executions (project_id, project_name, flow_id, version, "
                "submit_user, submit_time, step_ms, will_fail, final_status, end_time, options) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rec.project_id,
                    rec.project_name,
                    rec.flow_id,
                    rec.version,
                    rec.submit_user,
                    rec.submit_time,
                    rec.step_ms,
                    int(rec.will_fail),
                    rec.final_status,
                    rec.end_time,
                    rec.options,
                ),
            )
            return int(cur.lastrowid or 0)

    def execution(self, exec_id: int) -> ExecutionRecord | None:
        """One execution by id."""
        row = self._one(f"SELECT {self._EXEC_COLS} FROM executions WHERE exec_id=?", (exec_id,))
        return self._execution(row) if row else None

    def executions_for_flow(self, project_id: int, flow_id: str) -> list[ExecutionRecord]:
        """All executions of one flow, newest first."""
        rows = self._all(
            f"SELECT {self._EXEC_COLS} FROM executions WHERE project_id=? AND flow_id=? "
            "ORDER BY exec_id DESC",
            (project_id, flow_id),
        )
        return [self._execution(r) for r in rows]

    def open_executions(self) -> list[ExecutionRecord]:
        """Executions without a stored final status (their clock-derived status may be final)."""
        rows = self._all(
            f"SELECT {self._EXEC_COLS} FROM executions WHERE final_status IS NULL ORDER BY exec_id"
        )
        return [self._execution(r) for r in rows]

    def finish_execution(self, exec_id: int, status: str, end_time: int) -> None:
        """Store a final status (cancel)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE executions SET final_status=?, end_time=? WHERE exec_id=?",
                (status, end_time, exec_id),
            )

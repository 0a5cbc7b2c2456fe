"""The sandbox's SQLite database: one connection in WAL mode, guarded by a lock.

SQLite serialises writers anyway; readers are sub-millisecond. Projects are soft-deleted
(`active=0`) like Azkaban's `projects` table, so a deleted name can be reused by a new project
with a new id. Only the current version's flows are kept; older versions are remembered by
their `project_versions` row (zip files on disk). `execution_jobs` holds the per-job times
of executions loaded as history (test control); submitted executions derive theirs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

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
CREATE TABLE IF NOT EXISTS execution_jobs (
    exec_id INTEGER NOT NULL,
    nested_id TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    PRIMARY KEY (exec_id, nested_id)
);
"""


class Database:
    """The connection, its lock, and query helpers. All methods are thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection (the app calls this on close)."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction under the lock; rolls back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def all(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        """Every row of a query."""
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def one(self, sql: str, args: Iterable[object] = ()) -> tuple | None:
        """The first row of a query, or None."""
        with self._lock:
            row: tuple | None = self._conn.execute(sql, tuple(args)).fetchone()
            return row

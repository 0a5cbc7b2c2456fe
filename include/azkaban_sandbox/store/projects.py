"""Tables `projects`, `project_versions` and `flows`: rows in, typed records out."""

from __future__ import annotations

from azkaban_sandbox.store.db import Database
from azkaban_sandbox.store.records import FlowRow, ProjectRecord, VersionRow, columns, from_row

_COLS = columns(ProjectRecord)


class ProjectTable:
    """Projects (soft-deleted), their versions and their current flows."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _project(self, row: tuple | None) -> ProjectRecord | None:
        return from_row(ProjectRecord, row) if row else None

    def insert(self, name: str, description: str, user: str, now_ms: int) -> int:
        """INSERT a new active project; returns its id."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO projects (name, name_lower, description, created_by, created_time,"
                " modified_by, modified_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, name.lower(), description, user, now_ms, user, now_ms),
            )
            return int(cur.lastrowid or 0)

    def active(self, name: str) -> ProjectRecord | None:
        """The active project with this name, compared case-insensitively."""
        sql = f"SELECT {_COLS} FROM projects WHERE name_lower=? AND active=1"
        return self._project(self._db.one(sql, (name.lower(),)))

    def inactive(self, name: str) -> ProjectRecord | None:
        """The newest deleted project with this name, if any."""
        sql = (
            f"SELECT {_COLS} FROM projects WHERE name_lower=? AND active=0 ORDER BY id DESC LIMIT 1"
        )
        return self._project(self._db.one(sql, (name.lower(),)))

    def by_id(self, project_id: int) -> ProjectRecord | None:
        """Any project (active or not) by id."""
        return self._project(
            self._db.one(f"SELECT {_COLS} FROM projects WHERE id=?", (project_id,))
        )

    def all_active(self) -> list[ProjectRecord]:
        """All active projects, by id."""
        rows = self._db.all(f"SELECT {_COLS} FROM projects WHERE active=1 ORDER BY id")
        return [from_row(ProjectRecord, row) for row in rows]

    def deactivate(self, project_id: int, user: str, now_ms: int) -> None:
        """Soft delete (the name becomes reusable); the project's schedules go too."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE projects SET active=0, modified_by=?, modified_time=? WHERE id=?",
                (user, now_ms, project_id),
            )
            conn.execute("DELETE FROM schedules WHERE project_id=?", (project_id,))

    def version_file_name(self, project_id: int, version: int) -> str | None:
        """The file name an upload was stored under (``project_versions.file_name``)."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT file_name FROM project_versions WHERE project_id=? AND version=?",
                (project_id, version),
            ).fetchone()
        return str(row[0]) if row else None

    def save_version(self, version: VersionRow, flows: list[FlowRow]) -> list[str]:
        """Persist an upload: version row, replaced flow set, project version; one transaction.

        Schedules of flows that no longer exist are removed; their flow ids are returned.
        """
        with self._db.transaction() as conn:
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
        sql = "SELECT MAX(version) FROM project_versions WHERE project_id=?"
        row = self._db.one(sql, (project_id,))
        return int(row[0]) if row and row[0] is not None else 0

    def version_row(self, project_id: int, version: int) -> VersionRow | None:
        """One `project_versions` row."""
        sql = f"SELECT {columns(VersionRow)} FROM project_versions WHERE project_id=? AND version=?"
        row = self._db.one(sql, (project_id, version))
        return from_row(VersionRow, row) if row else None

    def flow_ids(self, project_id: int, include_embedded: bool = False) -> list[str]:
        """Ids of the project's current flows, sorted."""
        sql = "SELECT flow_id FROM flows WHERE project_id=?"
        if not include_embedded:
            sql += " AND embedded=0"
        return [r[0] for r in self._db.all(sql + " ORDER BY flow_id", (project_id,))]

    def flow(self, project_id: int, flow_id: str) -> FlowRow | None:
        """One stored flow graph."""
        row = self._db.one(
            "SELECT flow_id, embedded, graph FROM flows WHERE project_id=? AND flow_id=?",
            (project_id, flow_id),
        )
        return FlowRow(row[0], bool(row[1]), row[2]) if row else None

    def flow_count(self) -> int:
        """Number of flows (embedded included) across active projects."""
        row = self._db.one(
            "SELECT COUNT(*) FROM flows JOIN projects ON flows.project_id = projects.id "
            "WHERE projects.active=1"
        )
        return int(row[0]) if row else 0

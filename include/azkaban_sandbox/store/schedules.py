"""Table `schedules`: at most one schedule per (project, flow)."""

from __future__ import annotations

from azkaban_sandbox.store.db import Database
from azkaban_sandbox.store.records import ScheduleRecord, columns, from_row

_COLS = columns(ScheduleRecord)


class ScheduleTable:
    """Cron schedules, upserted per project and flow."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert(self, rec: ScheduleRecord) -> int:
        """Insert or update the (project, flow) schedule, keeping an existing id."""
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
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT schedule_id FROM schedules WHERE project_id=? AND flow_id=?",
                (rec.project_id, rec.flow_id),
            ).fetchone()
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

    def for_flow(self, project_id: int, flow_id: str) -> ScheduleRecord | None:
        """The schedule of one flow, if any."""
        sql = f"SELECT {_COLS} FROM schedules WHERE project_id=? AND flow_id=?"
        row = self._db.one(sql, (project_id, flow_id))
        return from_row(ScheduleRecord, row) if row else None

    def get(self, schedule_id: int) -> ScheduleRecord | None:
        """One schedule by id."""
        row = self._db.one(f"SELECT {_COLS} FROM schedules WHERE schedule_id=?", (schedule_id,))
        return from_row(ScheduleRecord, row) if row else None

    def all(self) -> list[ScheduleRecord]:
        """All schedules, by id."""
        rows = self._db.all(f"SELECT {_COLS} FROM schedules ORDER BY schedule_id")
        return [from_row(ScheduleRecord, r) for r in rows]

    def delete(self, schedule_id: int) -> None:
        """Remove one schedule."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM schedules WHERE schedule_id=?", (schedule_id,))

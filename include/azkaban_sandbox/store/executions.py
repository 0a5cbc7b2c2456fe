"""Tables `executions` (flow runs; status derived from the clock until final) and
`execution_jobs` (per-job times of runs loaded as history)."""

from __future__ import annotations

from collections.abc import Sequence

from azkaban_sandbox.store.db import Database
from azkaban_sandbox.store.records import ExecutionJobRow, ExecutionRecord, columns, from_row

_COLS = columns(ExecutionRecord)
_JOB_COLS = columns(ExecutionJobRow)
_INSERT = (
    "INSERT INTO executions (project_id, project_name, flow_id, version, "
    "submit_user, submit_time, step_ms, will_fail, final_status, end_time, options) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _values(rec: ExecutionRecord) -> tuple[object, ...]:
    return (
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
    )


class ExecutionTable:
    """Executions by id and by flow."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, rec: ExecutionRecord) -> int:
        """INSERT an execution; returns the new exec id."""
        with self._db.transaction() as conn:
            cur = conn.execute(_INSERT, _values(rec))
            return int(cur.lastrowid or 0)

    def insert_loaded(
        self, runs: Sequence[tuple[ExecutionRecord, Sequence[ExecutionJobRow]]]
    ) -> list[int]:
        """INSERT executions with their job rows in one transaction (all or nothing); returns
        the new exec ids in order (the job rows' `exec_id` is filled in)."""
        ids: list[int] = []
        with self._db.transaction() as conn:
            for rec, jobs in runs:
                exec_id = int(conn.execute(_INSERT, _values(rec)).lastrowid or 0)
                ids.append(exec_id)
                conn.executemany(
                    f"INSERT INTO execution_jobs ({_JOB_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (exec_id, j.nested_id, j.status, j.start_time, j.end_time, j.attempt)
                        for j in jobs
                    ],
                )
        return ids

    def jobs(self, exec_id: int) -> dict[str, ExecutionJobRow]:
        """The loaded job rows of one execution by nested id ({} for submitted runs)."""
        rows = self._db.all(f"SELECT {_JOB_COLS} FROM execution_jobs WHERE exec_id=?", (exec_id,))
        return {r[1]: from_row(ExecutionJobRow, r) for r in rows}

    def get(self, exec_id: int) -> ExecutionRecord | None:
        """One execution by id."""
        row = self._db.one(f"SELECT {_COLS} FROM executions WHERE exec_id=?", (exec_id,))
        return from_row(ExecutionRecord, row) if row else None

    def for_flow(self, project_id: int, flow_id: str) -> list[ExecutionRecord]:
        """All executions of one flow, newest first."""
        rows = self._db.all(
            f"SELECT {_COLS} FROM executions WHERE project_id=? AND flow_id=? "
            "ORDER BY exec_id DESC",
            (project_id, flow_id),
        )
        return [from_row(ExecutionRecord, r) for r in rows]

    def finish(self, exec_id: int, status: str, end_time: int) -> None:
        """Store a final status (cancel)."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE executions SET final_status=?, end_time=? WHERE exec_id=?",
                (status, end_time, exec_id),
            )

"""What a project in hand has tried so far, for the parent to read if it abandons it.

A worker reports a project's HTTP attempts and retries in the `ProjectResult` it returns when
the project ends. When the runner abandons a project instead (its worker died, its deadline
passed, the server is gone), that result never comes and the worker is terminated. So each
time a worker retries a call it leaves a note (``<project>.tried`` in the runner's scratch
directory, written atomically) with the counts so far; the parent reads it for every project
it abandons. Notes cost nothing on a healthy run (no retry, no file); a project that ends
normally removes its note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from azkaban_seeder.runner.scratch import write_atomically

SUFFIX = ".tried"


@dataclass(frozen=True)
class Tried:
    """HTTP attempts (at least: the attempt in progress is not counted yet) and retried
    attempts by reason of one project, as of its latest retry."""

    attempts: int = 0
    retries: dict[str, int] = field(default_factory=dict)


def note(directory: Path, project: str, tried: Tried) -> None:
    """Record ``tried`` for ``project`` (replaces an earlier note)."""
    payload = json.dumps({"attempts": tried.attempts, "retries": tried.retries})
    write_atomically(directory / f"{project}{SUFFIX}", payload)


def read(directory: Path, project: str) -> Tried | None:
    """The latest note of ``project``, or None (no retry yet, or unreadable)."""
    try:
        data = json.loads((directory / f"{project}{SUFFIX}").read_text())
        return Tried(
            attempts=int(data["attempts"]),
            retries={str(k): int(v) for k, v in dict(data["retries"]).items()},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear(directory: Path, project: str) -> None:
    """Forget the note of a project that ended (it reports its own counts)."""
    (directory / f"{project}{SUFFIX}").unlink(missing_ok=True)

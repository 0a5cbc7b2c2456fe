"""In-flight notes: the latest note wins, a missing or broken note reads as None, clear
removes it, and a client's retries reach its listener."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from runner_helpers import fast_options, small_spec

from azkaban_seeder.azkaban import ConnectionSettings, LocalHealth
from azkaban_seeder.azkaban.stats import RetryStats
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.runner import inflight
from azkaban_seeder.runner.worker import make_context


def test_the_latest_note_is_read_back_and_clear_removes_it(tmp_path: Path) -> None:
    inflight.note(tmp_path, "p1", inflight.Tried(attempts=2, retries={"http_503": 1}))
    inflight.note(tmp_path, "p1", inflight.Tried(attempts=5, retries={"http_503": 3, "drop": 1}))

    assert inflight.read(tmp_path, "p1") == inflight.Tried(5, {"http_503": 3, "drop": 1})
    assert inflight.read(tmp_path, "p2") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p1.tried"]  # no temporary left

    inflight.clear(tmp_path, "p1")
    inflight.clear(tmp_path, "p1")  # twice is fine
    assert list(tmp_path.iterdir()) == []


def test_a_broken_note_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / "p1.tried").write_text('{"attempts": "many"')
    (tmp_path / "p2.tried").write_text('{"retries": {}}')
    assert inflight.read(tmp_path, "p1") is None
    assert inflight.read(tmp_path, "p2") is None


def test_each_counted_retry_reaches_the_listener() -> None:
    stats = RetryStats()
    seen: list[int] = []
    stats.on_retry = lambda: seen.append(stats.total_retries)
    stats.count_attempt()
    stats.count_retry("http_503")
    stats.count_retry("drop")
    assert seen == [1, 2]
    stats.on_retry = None
    stats.count_retry("drop")
    assert seen == [1, 2] and stats.total_retries == 3


def test_a_note_that_cannot_be_written_does_not_break_the_retry(
    sandbox: Any, settings: ConnectionSettings, prefix: str, tmp_path: Path
) -> None:
    """The scratch directory is gone (the note cannot be written): the retry still happens
    and the project ends with the server's error, not the note's."""
    spec = small_spec(prefix)
    project = plan_projects(spec)[0]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    context = make_context(
        spec, settings, fast_options(1, retry_attempts=2), str(scratch), LocalHealth()
    )
    shutil.rmtree(scratch)
    sandbox.server.controls.set_faults(rate=1.0, kinds=["http500"])
    try:
        result = context.build(project)
    finally:
        sandbox.server.controls.set_faults(rate=0.0)
        context.close()
    assert result.error is not None and "HTTP 500" in result.error, result.error
    assert result.retries == {"http_500": 1} and result.attempts == 2

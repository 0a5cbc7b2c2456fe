"""The runner's scratch directory: tmpfs when usable, and notes that are never seen half written."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from azkaban_seeder.runner import scratch


def test_scratch_goes_to_a_memory_directory_only_when_it_is_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roomy = tmp_path / "shm"
    roomy.mkdir()
    monkeypatch.setattr(scratch, "MEMORY_DIR_MIN_FREE", 1)
    assert scratch.scratch_parent(roomy) == str(roomy)
    assert scratch.scratch_parent(tmp_path / "missing") is None  # the system temp dir
    monkeypatch.setattr(scratch, "MEMORY_DIR_MIN_FREE", 1 << 62)  # more than any disk
    assert scratch.scratch_parent(roomy) is None
    roomy.chmod(0o500)
    monkeypatch.setattr(scratch, "MEMORY_DIR_MIN_FREE", 1)
    try:
        expected = None if os.geteuid() != 0 else str(roomy)  # root may write anywhere
        assert scratch.scratch_parent(roomy) == expected
    finally:
        roomy.chmod(0o700)


def test_a_reader_sees_the_old_note_or_the_whole_new_one_never_a_partial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write here leaves its file empty for 50 ms before the text lands; a reader
    polling the target meanwhile must only ever see the old or the new text."""
    real_write_text = Path.write_text

    def slow_write_text(self: Path, data: str, *args: object, **kwargs: object) -> int:
        real_write_text(self, "")
        time.sleep(0.05)
        return real_write_text(self, data)

    target = tmp_path / "p.tried"
    scratch.write_atomically(target, "old")
    monkeypatch.setattr(Path, "write_text", slow_write_text)
    seen: set[str] = set()
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            seen.add(target.read_text())

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        scratch.write_atomically(target, "new")
    finally:
        done.set()
        reader.join(10)
    assert seen <= {"old", "new"} and "old" in seen
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["p.tried"]  # no temporary left behind

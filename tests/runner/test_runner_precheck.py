"""The pre-upload check (`worker.check_zip`): the container lists what was written, and the
shared loader finds exactly the planned flows in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from azkaban_seeder.archive import write_project_zip
from azkaban_seeder.archive.deterministic import DeterministicZip
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.runner.errors import PreUploadCheckError
from azkaban_seeder.runner.worker import check_zip
from azkaban_seeder.spec import EnvSpec

SPEC = EnvSpec(flow_count=12, flows_per_project=4, prefix="pc", shape="chain:2")


def _written(tmp_path: Path) -> tuple[Path, list[tuple[str, bytes]]]:
    project = plan_projects(SPEC)[1]
    entries: list[tuple[str, bytes]] = []
    path = tmp_path / "p.zip"
    write_project_zip(SPEC, project, path, keep=entries)
    return path, entries


def test_a_zip_as_written_passes(tmp_path: Path) -> None:
    path, entries = _written(tmp_path)
    assert len(entries) == 8  # 4 flows of 2 jobs
    check_zip(path, plan_projects(SPEC)[1], entries)


def test_a_truncated_archive_is_refused(tmp_path: Path) -> None:
    path, entries = _written(tmp_path)
    path.write_bytes(path.read_bytes()[:-30])  # the end record is gone
    with pytest.raises(PreUploadCheckError, match="unreadable archive"):
        check_zip(path, plan_projects(SPEC)[1], entries)


def test_an_archive_that_does_not_list_the_entries_written_is_refused(tmp_path: Path) -> None:
    path, entries = _written(tmp_path)
    changed = [*entries[:-1], (entries[-1][0], entries[-1][1] + b"x=1\n")]
    with pytest.raises(PreUploadCheckError, match="differ from those written"):
        check_zip(path, plan_projects(SPEC)[1], changed)
    with pytest.raises(PreUploadCheckError, match="lists 8 entries, not the 7 written"):
        check_zip(path, plan_projects(SPEC)[1], entries[:-1])


def test_entries_the_loader_rejects_or_other_flows_are_refused(tmp_path: Path) -> None:
    path, entries = _written(tmp_path)
    with pytest.raises(PreUploadCheckError, match="flow ids differ from the plan"):
        check_zip(path, plan_projects(SPEC)[2], entries)
    # A dependency on a job that does not exist: a loader error, as the server would report.
    name, data = entries[0]
    broken = [(name, data + b"dependencies=nowhere\n"), *entries[1:]]
    broken_path = tmp_path / "broken.zip"
    with broken_path.open("wb") as out, DeterministicZip(out) as zf:
        for entry_name, entry_data in broken:
            zf.add(entry_name, entry_data)
    with pytest.raises(PreUploadCheckError, match="loader errors"):
        check_zip(broken_path, plan_projects(SPEC)[1], broken)

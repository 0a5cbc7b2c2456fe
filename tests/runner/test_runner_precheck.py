"""The pre-upload check (`worker.check_zip`): the container lists what was written, and the
shared loader finds exactly the planned flows in it."""

from __future__ import annotations

import io
import zipfile

import pytest

from azkaban_seeder.archive import write_project_zip
from azkaban_seeder.archive.deterministic import DeterministicZip
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.runner.errors import PreUploadCheckError
from azkaban_seeder.runner.worker import check_zip, checked_zip
from azkaban_seeder.spec import EnvSpec

SPEC = EnvSpec(flow_count=12, flows_per_project=4, prefix="pc", shape="chain:2")


def _written() -> tuple[bytes, list[tuple[str, bytes]]]:
    project = plan_projects(SPEC)[1]
    entries: list[tuple[str, bytes]] = []
    buffer = io.BytesIO()
    write_project_zip(SPEC, project, buffer, keep=entries)
    return buffer.getvalue(), entries


def test_a_zip_as_written_passes() -> None:
    data, entries = _written()
    assert len(entries) == 8  # 4 flows of 2 jobs
    check_zip(data, plan_projects(SPEC)[1], entries)


def test_the_checked_zip_is_the_one_written_and_summarised() -> None:
    data, summary = checked_zip(SPEC, plan_projects(SPEC)[1])
    assert data == _written()[0]
    assert (summary.bytes, summary.flows, summary.jobs) == (len(data), 4, 8)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert len(archive.namelist()) == 8 and archive.testzip() is None


def test_a_truncated_archive_is_refused() -> None:
    data, entries = _written()
    with pytest.raises(PreUploadCheckError, match="unreadable archive"):
        check_zip(data[:-30], plan_projects(SPEC)[1], entries)  # the end record is gone


def test_an_archive_that_does_not_list_the_entries_written_is_refused() -> None:
    data, entries = _written()
    changed = [*entries[:-1], (entries[-1][0], entries[-1][1] + b"x=1\n")]
    with pytest.raises(PreUploadCheckError, match="differ from those written"):
        check_zip(data, plan_projects(SPEC)[1], changed)
    with pytest.raises(PreUploadCheckError, match="lists 8 entries, not the 7 written"):
        check_zip(data, plan_projects(SPEC)[1], entries[:-1])


def test_entries_the_loader_rejects_or_other_flows_are_refused() -> None:
    data, entries = _written()
    with pytest.raises(PreUploadCheckError, match="flow ids differ from the plan"):
        check_zip(data, plan_projects(SPEC)[2], entries)
    # A dependency on a job that does not exist: a loader error, as the server would report.
    name, job = entries[0]
    broken = [(name, job + b"dependencies=nowhere\n"), *entries[1:]]
    buffer = io.BytesIO()
    with DeterministicZip(buffer) as zf:
        for entry_name, entry_data in broken:
            zf.add(entry_name, entry_data)
    with pytest.raises(PreUploadCheckError, match="loader errors"):
        check_zip(buffer.getvalue(), plan_projects(SPEC)[1], broken)

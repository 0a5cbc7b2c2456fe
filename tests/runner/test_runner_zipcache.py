"""ZipCache: prefetched zips are reused, failed prefetches are rebuilt, discards reset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from azkaban_seeder.loaders import load_project_zip
from azkaban_seeder.plan import ProjectPlan, plan_projects
from azkaban_seeder.runner import zipcache
from azkaban_seeder.runner.errors import PreUploadCheckError
from azkaban_seeder.runner.worker import check_zip
from azkaban_seeder.runner.zipcache import ZipCache
from azkaban_seeder.spec import EnvSpec

SPEC = EnvSpec(flow_count=6, flows_per_project=3, prefix="zc")


class CountingChecker:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    def __call__(self, path: Path, project: ProjectPlan, entries: list[tuple[str, bytes]]) -> None:
        self.calls.append(project.name)
        if self.fail:
            raise PreUploadCheckError("broken on purpose")
        check_zip(path, project, entries)


def test_prefetched_zip_is_used_without_a_second_build(tmp_path: Path) -> None:
    cache = ZipCache(tmp_path, SPEC)
    project = plan_projects(SPEC)[1]
    checker = CountingChecker()

    future = cache.prefetch(project, checker)
    assert future is not None
    future.result(timeout=10)
    assert cache.prefetch(project, checker) is None  # already claimed

    path, summary = cache.obtain(project, checker)

    assert checker.calls == [project.name]
    assert summary.flows == 3
    assert set(load_project_zip(path).flows) == {"flow_000003", "flow_000004", "flow_000005"}


def test_failed_prefetch_is_rebuilt_by_the_consumer(tmp_path: Path) -> None:
    cache = ZipCache(tmp_path, SPEC)
    project = plan_projects(SPEC)[0]
    future = cache.prefetch(project, CountingChecker(fail=True))
    assert future is not None
    future.result(timeout=10)  # the failure is left for the consumer, not raised here

    good = CountingChecker()
    path, summary = cache.obtain(project, good)

    assert good.calls == [project.name]
    assert path.exists() and summary.flows == 3
    with pytest.raises(PreUploadCheckError):
        ZipCache(tmp_path / "other", SPEC).obtain(project, CountingChecker(fail=True))


def test_discard_lets_the_same_project_be_built_again(tmp_path: Path) -> None:
    cache = ZipCache(tmp_path, SPEC)
    project = plan_projects(SPEC)[0]
    checker = CountingChecker()
    path, _summary = cache.obtain(project, checker)

    cache.discard(project.name, path)
    again, _summary = cache.obtain(project, checker)

    assert checker.calls == [project.name, project.name]
    assert again.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "zc_00000.claim",
        "zc_00000.ready",
        "zc_00000.zip",
    ]


def test_waiter_never_reads_a_half_written_ready_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: `.ready` was written in place, so a polling waiter could read it empty
    (JSONDecodeError, project lost). Every write here leaves the file empty for 50 ms."""
    import threading
    import time

    real_write_text = Path.write_text

    def slow_write_text(self: Path, data: str, *args: object, **kwargs: object) -> int:
        real_write_text(self, "")
        time.sleep(0.05)
        return real_write_text(self, data)

    monkeypatch.setattr(Path, "write_text", slow_write_text)
    cache = ZipCache(tmp_path, SPEC)
    project = plan_projects(SPEC)[0]
    future = cache.prefetch(project, CountingChecker())
    assert future is not None
    results: list[object] = []
    waiter = threading.Thread(target=lambda: results.append(cache.obtain(project, check_zip)))
    waiter.start()
    waiter.join(10)
    future.result(timeout=10)
    assert len(results) == 1
    path, summary = results[0]  # type: ignore[misc]
    assert summary.flows == 3 and path.exists()


def test_scratch_zips_go_to_a_memory_directory_only_when_it_is_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roomy = tmp_path / "shm"
    roomy.mkdir()
    monkeypatch.setattr(zipcache, "MEMORY_DIR_MIN_FREE", 1)
    assert zipcache.scratch_parent(roomy) == str(roomy)
    assert zipcache.scratch_parent(tmp_path / "missing") is None  # the system temp dir
    monkeypatch.setattr(zipcache, "MEMORY_DIR_MIN_FREE", 1 << 62)  # more than any disk
    assert zipcache.scratch_parent(roomy) is None
    roomy.chmod(0o500)
    monkeypatch.setattr(zipcache, "MEMORY_DIR_MIN_FREE", 1)
    try:
        expected = None if os.geteuid() != 0 else str(roomy)  # root may write anywhere
        assert zipcache.scratch_parent(roomy) == expected
    finally:
        roomy.chmod(0o700)

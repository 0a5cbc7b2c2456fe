"""A directory of checked project zips shared by the workers of one runner (prefetching).

While a worker uploads project P (network-bound), a builder thread in the same process
builds and checks a project that will be dispatched soon (CPU-bound), so local work overlaps
the upload instead of adding to it. Whichever worker is later handed that project finds its
zip ready on disk. Claims are files created with ``O_EXCL``, so two processes never build the
same zip; a builder that fails leaves a ``.failed`` marker and the consumer builds the zip
itself (the fallback is always a fresh, private build).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from azkaban_seeder.archive import ZipSummary, write_project_zip
from azkaban_seeder.plan import ProjectPlan
from azkaban_seeder.spec import EnvSpec

logger = logging.getLogger(__name__)

#: (zip path, project, the entries written) -> None; raises when the zip does not hold
#: exactly the planned flows.
Checker = Callable[[Path, ProjectPlan, list[tuple[str, bytes]]], None]

#: A memory-backed directory for the scratch zips, when the machine has one with room.
MEMORY_DIR = Path("/dev/shm")
#: Free space `MEMORY_DIR` must have to be used (the zips in flight take a few MiB).
MEMORY_DIR_MIN_FREE = 256 * 1024 * 1024

#: How long a consumer waits for another process's build of the same zip before building it.
WAIT_SECONDS = 120.0
POLL_SECONDS = 0.01


def scratch_parent(memory_dir: Path = MEMORY_DIR) -> str | None:
    """Where a runner's zip directory goes: ``memory_dir`` (tmpfs) if it is a writable
    directory with `MEMORY_DIR_MIN_FREE` free, else None (the system's temp directory).

    Each project's zip takes about ten file operations (claim, partial, rename, markers,
    removal); on a disk filesystem under load those cost a millisecond or more per project in
    journal contention (measured with 16 workers and the sandbox on 2 cores), on tmpfs a
    fraction of that. A runner has at most two zips per worker in flight."""
    try:
        if not (memory_dir.is_dir() and os.access(memory_dir, os.W_OK | os.X_OK)):
            return None
        stats = os.statvfs(memory_dir)
    except OSError:
        return None
    return str(memory_dir) if stats.f_bavail * stats.f_frsize >= MEMORY_DIR_MIN_FREE else None


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` so that a reader sees the old file or the whole new one:
    a temporary name unique to this process and thread, then a rename."""
    pending = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    pending.write_text(text)
    pending.replace(target)


class ZipCache:
    """Checked zips under ``directory``: ``<name>.zip`` + ``<name>.ready`` (summary JSON)."""

    def __init__(self, directory: Path | str, spec: EnvSpec) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.spec = spec
        # One builder thread per cache, started with the first prefetch and reused: a new
        # thread per project cost its start-up (and a wait until it held the interpreter
        # lock) on the worker's path to its next request.
        self._builder: ThreadPoolExecutor | None = None

    def close(self) -> None:
        """Stop the builder thread (waits for a build in progress; queued ones are dropped)."""
        if self._builder is not None:
            self._builder.shutdown(wait=True, cancel_futures=True)
            self._builder = None

    def _path(self, name: str, suffix: str) -> Path:
        return self.directory / f"{name}{suffix}"

    def _claim(self, name: str) -> bool:
        try:
            fd = os.open(self._path(name, ".claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        os.close(fd)
        return True

    def _build(self, project: ProjectPlan, checker: Checker, final: Path) -> ZipSummary:
        """Write, check and atomically publish the zip at ``final``."""
        partial = final.with_suffix(".partial")
        entries: list[tuple[str, bytes]] = []
        summary = write_project_zip(self.spec, project, partial, keep=entries)
        checker(partial, project, entries)
        partial.replace(final)
        return summary

    def _publish(self, project: ProjectPlan, checker: Checker) -> ZipSummary:
        """Build as the claim holder; leave a ``.ready`` or ``.failed`` marker for waiters."""
        try:
            summary = self._build(project, checker, self._path(project.name, ".zip"))
        except Exception as exc:
            self._mark(project.name, ".failed", f"{type(exc).__name__}: {exc}")
            raise
        self._mark(project.name, ".ready", json.dumps(asdict(summary)))
        return summary

    def _mark(self, name: str, suffix: str, text: str) -> None:
        """Write a marker atomically: waiters poll for it and must never see it half written
        (regression: `write_text` exposed an empty ``.ready`` -> JSONDecodeError in a waiter)."""
        write_atomically(self._path(name, suffix), text)

    def _wait_ready(self, name: str) -> ZipSummary | None:
        """The summary of another process's build, or None if it failed or took too long."""
        ready, failed = self._path(name, ".ready"), self._path(name, ".failed")
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if ready.exists():
                return ZipSummary(**json.loads(ready.read_text()))
            if failed.exists():
                return None
            time.sleep(POLL_SECONDS)
        logger.warning("zip of %s not ready after %.0fs; building it again", name, WAIT_SECONDS)
        return None

    def obtain(self, project: ProjectPlan, checker: Checker) -> tuple[Path, ZipSummary]:
        """A checked zip of ``project``: built now, or prefetched by any worker."""
        if self._claim(project.name):
            return self._path(project.name, ".zip"), self._publish(project, checker)
        summary = self._wait_ready(project.name)
        shared = self._path(project.name, ".zip")
        if summary is not None and shared.exists():
            return shared, summary
        private = self._path(project.name, f".{os.getpid()}.zip")
        return private, self._build(project, checker, private)

    def prefetch(self, project: ProjectPlan, checker: Checker) -> Future[None] | None:
        """Have the builder thread build ``project`` unless someone already claimed it; the
        future ends when the zip (or its ``.failed`` marker) is published."""
        if not self._claim(project.name):
            return None
        if self._builder is None:
            self._builder = ThreadPoolExecutor(1, thread_name_prefix="prefetch")
        return self._builder.submit(self._prefetch_quietly, project, checker)

    def _prefetch_quietly(self, project: ProjectPlan, checker: Checker) -> None:
        try:
            self._publish(project, checker)
        except Exception as exc:  # the consumer rebuilds and reports the error itself
            logger.debug("prefetch of %s failed: %s", project.name, exc)

    def discard(self, name: str, path: Path) -> None:
        """Forget an uploaded zip: the file and its markers (a later build starts afresh)."""
        for suffix in (".ready", ".failed"):
            self._path(name, suffix).unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        self._path(name, ".claim").unlink(missing_ok=True)

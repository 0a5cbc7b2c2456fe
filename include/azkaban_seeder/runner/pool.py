"""Process-pool plumbing that is safe inside an Airflow 3 task.

* ``forkserver`` start method: ``fork`` inside a threaded Airflow task process can copy a held
  lock and hang (measured with Airflow 3.3.2, see docs/runner.md "Why forkserver"). A fork
  server is a fresh, single-threaded interpreter (started like a ``spawn`` child) that imports
  the worker module once (`PRELOAD`) and forks each worker from there: a pool of N starts
  one interpreter instead of N, and a second pool in the same process starts none.
* `hidden_main`: a child re-imports the parent's ``__main__`` from its ``__file__`` /
  ``__spec__``. Under an Airflow worker that is the ``airflow`` console script, which imports
  Airflow and dies on the supervisor's deliberately invalid DB URL. Hiding both attributes
  while children start makes them skip that step; our worker lives in an importable module.
* `stop_on_signal`: SIGTERM terminates the children first, then hands over to the previous
  handler (Airflow's) or exits.
* `terminate_workers`: ``ProcessPoolExecutor`` has no public "kill the workers" before Python
  3.14, so we reach for its process table to guarantee no orphan outlives a failed shard.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

START_METHOD = "forkserver"
#: Imported once by the fork server, before it forks any worker.
PRELOAD = ("azkaban_seeder.runner.worker",)
JOIN_SECONDS = 3.0
_MISSING = object()


class _MainHider:
    """Hides ``__main__.__file__``/``__spec__`` while any thread is starting children: the
    first to enter hides them, the last to leave restores them (the runner's head start warms
    the pool from a thread while the main thread may be submitting too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved_file: Any = _MISSING
        self._saved_spec: Any = _MISSING

    def enter(self) -> None:
        with self._lock:
            self._depth += 1
            main = sys.modules.get("__main__")
            if self._depth > 1 or main is None:
                return
            self._saved_file = main.__dict__.pop("__file__", _MISSING)
            self._saved_spec = main.__dict__.get("__spec__", _MISSING)
            if self._saved_spec is not _MISSING:
                main.__dict__["__spec__"] = None

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            main = sys.modules.get("__main__")
            if self._depth > 0 or main is None:
                return
            if self._saved_file is not _MISSING:
                main.__dict__["__file__"] = self._saved_file
            if self._saved_spec is not _MISSING:
                main.__dict__["__spec__"] = self._saved_spec
            self._saved_file = self._saved_spec = _MISSING


_HIDER = _MainHider()


@contextmanager
def hidden_main() -> Iterator[None]:
    """Hide ``__main__.__file__`` and ``__spec__`` so pool children don't re-run it
    (thread-safe and nestable)."""
    _HIDER.enter()
    try:
        yield
    finally:
        _HIDER.leave()


def make_executor(
    max_workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...]
) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor on the forkserver context (children start lazily on submit;
    the fork server itself on the first submit of the process, under `hidden_main`)."""
    context = multiprocessing.get_context(START_METHOD)
    # Process-wide; only read when the fork server starts.
    context.set_forkserver_preload(list(PRELOAD))
    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=context,
        initializer=initializer,
        initargs=initargs,
    )


def worker_pids(executor: ProcessPoolExecutor) -> list[int]:
    """PIDs of the executor's live worker processes."""
    processes = getattr(executor, "_processes", None) or {}
    return [p.pid for p in list(processes.values()) if p.pid is not None and p.is_alive()]


def terminate_workers(executor: ProcessPoolExecutor, join_seconds: float = JOIN_SECONDS) -> None:
    """Stop the pool now: cancel queued work, SIGTERM every child, SIGKILL stragglers."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(join_seconds)
        if process.is_alive():
            logger.warning("worker pid %s ignored SIGTERM; killing it", process.pid)
            process.kill()
            process.join(join_seconds)


def close_executor(executor: ProcessPoolExecutor, join_seconds: float = JOIN_SECONDS) -> None:
    """Normal shutdown with a bound: idle workers exit on the sentinel, others are killed."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(join_seconds)
    if any(p.is_alive() for p in processes):
        terminate_workers(executor, join_seconds)


@contextmanager
def stop_on_signal(
    executor: ProcessPoolExecutor, signums: tuple[int, ...] = (signal.SIGTERM,)
) -> Iterator[None]:
    """While active, a signal terminates the pool's children, then defers to the previous
    handler (Airflow installs one in task processes) or exits with 128 + signum.

    Signal handlers can only be installed from the main thread; elsewhere (threads of
    ``airflow dags test``) this is a no-op and the task's own timeout applies.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        logger.error("received signal %s: terminating pool workers", signum)
        terminate_workers(executor)
        old = previous.get(signum)
        signal.signal(signum, old if old is not None else signal.SIG_DFL)
        if callable(old):
            old(signum, frame)
        raise SystemExit(128 + signum)

    for signum in signums:
        current = signal.getsignal(signum)
        if current is signal.SIG_IGN:
            continue
        previous[signum] = current
        signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)

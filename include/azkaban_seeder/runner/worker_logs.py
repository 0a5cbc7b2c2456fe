"""Worker log records, re-emitted in the parent at their own level and logger name.

A pool worker has bare logging; writing to its stderr would reach an Airflow task log as
unformatted text at ERROR level. Instead, `attach` (called by the pool initializer) sends every
record of the worker through a bounded queue to the parent, where `LogForwarder` hands it to
``logging.getLogger(record.name)``: the parent's own handlers (the task log, the CLI's stderr)
format it, with the record's level and its logger name (``azkaban_seeder.runner.worker``, ...).
The worker's message is prefixed with the worker's name and the Azkaban project it was
building, e.g. ``[worker-2 stress_00013] retrying POST /manager ...``.

Bounded on both sides: the queue holds at most `QUEUE_SIZE` records (a worker drops records
rather than block when the parent falls behind, and counts them), and `LogForwarder.stop`
waits at most `STOP_SECONDS` for the forwarding thread. ``processes=1`` needs none of this:
records are emitted in the parent directly.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import logging.handlers
import multiprocessing
import queue
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
STOP_SECONDS = 5.0
POLL_SECONDS = 0.2
#: The Azkaban project the current worker thread is building (set by the worker).
current_project: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_project", default=None
)


class _DroppingQueueHandler(logging.handlers.QueueHandler):
    """A `QueueHandler` that drops a record when the queue is full (never blocks a worker)."""

    def __init__(self, log_queue: Any) -> None:
        super().__init__(log_queue)
        self.dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        project = current_project.get()
        where = f"{record.processName} {project}" if project else record.processName
        prepared = super().prepare(record)  # formats args into msg, drops exc_info/args
        prepared.msg = f"[{where}] {prepared.msg}"
        return prepared


def make_queue(context: Any = None) -> Any:
    """A bounded queue children of ``context`` (default: spawn) can inherit."""
    ctx = context or multiprocessing.get_context("spawn")
    return ctx.Queue(QUEUE_SIZE)


def attach(log_queue: Any, level: int) -> None:
    """In a worker process: every record at ``level`` or above goes to ``log_queue``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_DroppingQueueHandler(log_queue))
    root.setLevel(level)


class LogForwarder:
    """In the parent: a daemon thread that re-emits the workers' records (see module doc)."""

    def __init__(self, log_queue: Any) -> None:
        self.queue = log_queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-log-forwarder", daemon=True)

    def start(self) -> LogForwarder:
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                record = self.queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            except (EOFError, OSError, ValueError):  # queue closed or a writer died mid-record
                return
            if record is None:  # `stop`'s sentinel: everything sent before it is forwarded
                return
            self.emit(record)

    @staticmethod
    def emit(record: logging.LogRecord) -> None:
        """Hand ``record`` to its logger in this process, if that logger wants its level."""
        target = logging.getLogger(record.name)
        if target.isEnabledFor(record.levelno):
            target.handle(record)

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Forward what is still queued (bounded by ``timeout``), then end the thread.

        Call after the workers are gone: nothing new arrives after the sentinel put here (the
        thread would otherwise notice the stop only at its next poll timeout)."""
        self._stop.set()
        with contextlib.suppress(ValueError, OSError):  # already closed
            self.queue.put_nowait(None)
        deadline = time.monotonic() + timeout
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            logger.warning("worker log forwarder still busy after %.0fs; leaving it", timeout)
        self.queue.close()
        self.queue.cancel_join_thread()

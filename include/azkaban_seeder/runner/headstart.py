"""`HeadStart`: the runner's own process builds projects while its fresh pool starts.

A fresh pool is idle for its first few tenths of a second: the fork server starts an
interpreter and imports the worker code before it forks the first worker (measured: 0.3-0.5 s
on 2 cores, as long as 50 zero-cost uploads or one 400 ms one). Meanwhile the runner's process
has the package imported and a core to spare, so it takes the first projects itself:

* a warm-up thread submits one `ready` ping per worker (that starts the fork server and the
  workers, under `pool.hidden_main`) and marks the pool up when the first ping answers;
* until then the runner hands projects to up to ``processes`` daemon threads of this process,
  each with its own client (`make_context`); their results arrive as ordinary futures, so the
  runner's window, deadlines and error handling treat both lanes alike;
* once the pool is up every new project goes to the pool; projects already on a thread finish
  there.

Threads, not forks: nothing here copies a process (see `pool`). The head start only runs
without a test ``worker_setup`` (that hook is for pool workers; `ShardRunner`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from azkaban_seeder.azkaban import ConnectionSettings, HealthBoard
from azkaban_seeder.plan import ProjectPlan
from azkaban_seeder.runner import pool
from azkaban_seeder.runner.results import ProjectResult
from azkaban_seeder.runner.worker import WorkerContext, make_context, ready
from azkaban_seeder.spec import EnvSpec, RunOptions

logger = logging.getLogger(__name__)

#: How long `HeadStart.stop` waits for the warm-up thread (it may be waiting for the fork
#: server's first fork, which takes seconds on a loaded machine).
WARM_JOIN_SECONDS = 60.0

#: One project handed to a head-start thread: (project, compare, its future).
_Job = tuple[ProjectPlan, bool, "Future[ProjectResult]"]


class HeadStart:
    """Runs projects on threads of this process until the pool's first worker answers."""

    def __init__(
        self,
        spec: EnvSpec,
        settings: ConnectionSettings,
        options: RunOptions,
        scratch: str,
        health: HealthBoard,
        *,
        threads: int,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.options = options
        self.scratch = scratch
        self.health = health
        self.threads = max(1, threads)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._up = threading.Event()
        self._stopping = threading.Event()
        self._warmer: threading.Thread | None = None
        self._started: list[threading.Thread] = []
        self._contexts: dict[int, WorkerContext] = {}  # by thread ident
        self._lock = threading.Lock()
        self.projects = 0  # projects handed to the threads (for the log line)

    # --- the pool's side ---------------------------------------------------------------

    def warm(self, executor: ProcessPoolExecutor, workers: int) -> None:
        """Start ``workers`` pool workers in the background; `pool_up` turns True when the
        first has answered (or the pool broke: the next submit then raises)."""
        self._warmer = threading.Thread(
            target=self._warm,
            args=(executor, workers),
            name="pool-warmup",
            daemon=True,
        )
        self._warmer.start()

    def _warm(self, executor: ProcessPoolExecutor, workers: int) -> None:
        try:
            with pool.hidden_main():
                for _ in range(workers):
                    future = executor.submit(ready)
                    future.add_done_callback(lambda _done: self._up.set())
                    if self._up.is_set() or self._stopping.is_set():
                        break  # a worker is idle already (submits reuse it), or we are done
        except Exception as exc:  # a broken pool: the runner's next submit raises
            logger.debug("pool warm-up stopped: %s", exc)
            self._up.set()

    def pool_up(self) -> bool:
        return self._up.is_set()

    # --- this process's side -----------------------------------------------------------

    def submit(self, project: ProjectPlan, compare: bool) -> Future[ProjectResult]:
        """Build ``project`` on a head-start thread; the future never raises (like a pool
        worker, `WorkerContext.build` turns failures into the result's ``error``)."""
        future: Future[ProjectResult] = Future()
        with self._lock:
            self.projects += 1
            if len(self._started) < self.threads:
                thread = threading.Thread(
                    target=self._serve, name=f"head-start-{len(self._started)}", daemon=True
                )
                self._started.append(thread)
                thread.start()
        self._jobs.put((project, compare, future))
        return future

    def _serve(self) -> None:
        context = make_context(self.spec, self.settings, self.options, self.scratch, self.health)
        with self._lock:
            self._contexts[threading.get_ident()] = context
        while True:
            job = self._jobs.get()
            if job is None:
                return
            project, compare, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(context.build(project, compare=compare))
            except BaseException as exc:  # build records failures; this is a last resort
                future.set_exception(exc)

    def stop(self, join_seconds: float = pool.JOIN_SECONDS) -> None:
        """Stop warming the pool, let the threads finish and exit, then close their clients.

        The warm-up thread is waited for (at most `WARM_JOIN_SECONDS`): a worker it is still
        starting must be in the pool's process table before the pool is shut down, else it
        would start after the pool's queues are gone (and fail noisily in the task log).
        Normally every head-start thread is idle here (the runner waited for all its
        futures). After a failed shard one may still be on a project; daemon threads never
        hold up the process's exit, and such a thread keeps its client."""
        self._stopping.set()
        if self._warmer is not None:
            self._warmer.join(WARM_JOIN_SECONDS)
            if self._warmer.is_alive():
                logger.warning("pool warm-up still starting workers after %.0fs", WARM_JOIN_SECONDS)
        for _ in self._started:
            self._jobs.put(None)
        deadline = time.monotonic() + join_seconds
        for thread in self._started:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            for thread in self._started:
                context = self._contexts.get(thread.ident or 0)
                if context is not None and not thread.is_alive():
                    context.close()

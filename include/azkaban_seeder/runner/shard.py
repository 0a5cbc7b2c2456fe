"""`run_shard`: build and upload every project of one shard, in-process or on a process pool.

Failure handling, in one place:

* a project that fails (Azkaban refused, retries exhausted, pre-upload check) is a record with
  ``error``; the other projects carry on;
* a worker process that dies (OOM killer, segfault, ``os._exit``) breaks the pool: the shard
  stops at once, naming the project(s) that were in flight;
* a project that runs past its deadline stops the shard the same way (no wait is unbounded);
* SIGTERM terminates the workers, then exits (see `pool.stop_on_signal`).

In every case the pool's children are terminated before `run_shard` returns or raises.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from azkaban_seeder.azkaban import (
    ConnectionSettings,
    HealthBoard,
    SharedHealth,
)
from azkaban_seeder.azkaban.health import describe_since
from azkaban_seeder.flows import has_schedules
from azkaban_seeder.plan import ProjectPlan, Shard
from azkaban_seeder.progress import ProgressCounter
from azkaban_seeder.runner import inflight, pool
from azkaban_seeder.runner.drift import Drift, check_drift
from azkaban_seeder.runner.headstart import HeadStart
from azkaban_seeder.runner.results import ProjectResult, ShardResult
from azkaban_seeder.runner.scratch import scratch_parent
from azkaban_seeder.runner.worker import (
    WorkerContext,
    WorkerSetup,
    init_worker,
    make_context,
    run_project,
)
from azkaban_seeder.runner.worker_logs import LogForwarder, make_queue
from azkaban_seeder.spec import EnvSpec, RunOptions

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[ProjectResult], None]

#: Extra time the first project of each worker gets: starting the fork server and
#: importing the package takes seconds on a loaded machine.
STARTUP_ALLOWANCE = 60.0
#: Longest single wait before deadlines are re-checked (keeps shutdown and logging lively).
POLL_SECONDS = 1.0
#: Seconds per flow for generation, zip writing and the pre-upload check (generous).
SECONDS_PER_FLOW = 0.05


def project_timeout(
    options: RunOptions, settings: ConnectionSettings, flows: int, scheduled: bool = False
) -> float:
    """Deadline for one project, derived from the retry and HTTP bounds.

    Each client call ends within ``retry_max_seconds`` plus one request's timeouts. A project
    makes about three calls (ensure, upload, a check); with schedules one more per flow, which
    normally take a fraction of a second each: we allow one slow call's full bound for them
    plus a second per flow. Local work (generate, zip, check) gets ``SECONDS_PER_FLOW``.
    """
    per_call = (
        options.retry_max_seconds
        + max(options.upload_timeout, settings.timeout)
        + settings.connect_timeout
    )
    calls = 3 + (1 if scheduled else 0)
    schedule_budget = float(flows) if scheduled else 0.0
    return calls * per_call + schedule_budget + SECONDS_PER_FLOW * flows + 5.0


class ServerGone(Exception):
    """The run's server has been unreachable for longer than the outage window."""


def server_unreachable(health: HealthBoard, window: float) -> str | None:
    """Why the run must stop trying the server, or None while it is (or may be) up."""
    since = health.down_since()
    if since is None or window <= 0 or time.time() - since <= window:
        return None
    return f"server unreachable since {describe_since(since)} (outage window {window:g} s)"


def not_attempted(shard: Shard, reason: str) -> dict[str, ProjectResult]:
    """Results for a shard the run did not try: the server was already gone."""
    return {
        p.name: ProjectResult(project=p.name, error=f"not attempted: {reason}")
        for p in shard.projects
    }


def run_shard(
    spec: EnvSpec,
    shard: Shard,
    settings: ConnectionSettings,
    options: RunOptions,
    on_progress: ProgressCallback | None = None,
    *,
    worker_setup: WorkerSetup | None = None,
) -> ShardResult:
    """Build and upload the projects of ``shard``; never raises for a project's failure.

    ``options.processes`` == 1 runs in this process; more starts a process pool of
    ``min(processes, projects)`` workers, each with its own logged-in client, and stops it
    before returning. ``worker_setup``: see `ShardRunner`.
    """
    processes = max(1, min(int(options.processes), len(shard.projects)))
    with ShardRunner(
        spec, settings, options, processes=processes, worker_setup=worker_setup
    ) as runner:
        return runner.run(shard, on_progress)


class ShardRunner:
    """Runs shards one after another on one worker setup (reused between shards).

    ``processes == 1``: one in-process client. Otherwise a process pool that lives until
    `close` (or the ``with`` block ends); a shard that breaks the pool (dead worker, deadline)
    discards it and the next shard starts a fresh one.

    ``worker_setup``: a picklable callable every process that builds projects runs once after
    its own setup (each pool worker, or this process when ``processes == 1``); the runner's
    tests inject crashing and hanging workers with it.
    """

    def __init__(
        self,
        spec: EnvSpec,
        settings: ConnectionSettings,
        options: RunOptions,
        *,
        processes: int | None = None,
        worker_setup: WorkerSetup | None = None,
        health: HealthBoard | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.options = options
        self.processes = max(1, int(processes if processes is not None else options.processes))
        self.worker_setup = worker_setup
        # One outage clock for this process, every worker and the caller (see health.py).
        self.health: HealthBoard = health if health is not None else SharedHealth.create()
        self._context: WorkerContext | None = None
        self._executor: ProcessPoolExecutor | None = None
        # Workers' log records, re-emitted here (started with the first pool; see worker_logs).
        self._logs: LogForwarder | None = None
        # The workers' in-flight notes (`inflight`, `scratch`); removed in `close`.
        self.scratch = tempfile.mkdtemp(prefix="azkaban-seeder-", dir=scratch_parent())

    def __enter__(self) -> ShardRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pool's workers (bounded) and close the in-process client."""
        if self._executor is not None:
            pool.close_executor(self._executor)
            self._executor = None
        if self._logs is not None:  # after the workers: their last records are forwarded
            self._logs.stop()
            self._logs = None
        if self._context is not None:
            self._context.close()
            self._context = None
        shutil.rmtree(self.scratch, ignore_errors=True)

    def run(self, shard: Shard, on_progress: ProgressCallback | None = None) -> ShardResult:
        """Build and upload the projects of ``shard``; see `run_shard`."""
        started = time.monotonic()
        counter = ProgressCounter(
            total_projects=len(shard.projects),
            total_flows=sum(p.flow_count for p in shard.projects),
        )
        label = f"shard {shard.index}"

        def record(result: ProjectResult) -> None:
            counter.add(result.flows, failed=result.error is not None)
            logger.info("%s", counter.line(label))
            if on_progress is not None:
                on_progress(result)

        logger.info("%s", self.header(shard))
        unreachable = server_unreachable(self.health, self.options.outage_seconds)
        if unreachable:
            results, error = not_attempted(shard, unreachable), unreachable
        else:
            drift = check_drift(self.spec, self.settings, self.options, shard.projects, self.health)
            if not self.options.force:
                logger.info("%s", drift.line(label))
            for skipped in drift.skipped.values():
                record(skipped)
            error = None
            if not drift.todo:
                results = {}
            elif self.processes == 1:
                results = self._run_in_process(drift, record)
            else:
                results, error = self._run_on_pool(shard, drift, record)
            results.update(drift.skipped)
        outcome = ShardResult(
            shard_index=shard.index,
            label=shard.label,
            projects=[results[p.name] for p in shard.projects],
            seconds=round(time.monotonic() - started, 3),
            error=error,
        )
        logger.info(
            "%s done in %.1fs: %d flows, %d failed project(s)%s",
            label,
            outcome.seconds,
            outcome.flows,
            len(outcome.failed),
            f"; {error}" if error else "",
        )
        return outcome

    def header(self, shard: Shard) -> str:
        """The shard's first log line: what it holds, processes requested and used, and why.

        e.g. ``shard stress_00000..stress_00009: 10 projects, 1000 flows, 4 processes
        requested, 4 used`` or ``..., 4 processes requested, 2 used: only 2 projects``."""
        projects, flows = len(shard.projects), sum(p.flow_count for p in shard.projects)
        requested = int(self.options.processes)
        used = min(self.processes, max(1, projects))
        line = (
            f"shard {shard.label}: {projects} project{'s' if projects != 1 else ''}, "
            f"{flows} flows, {requested} process{'es' if requested != 1 else ''} requested, "
            f"{used} used"
        )
        if used >= requested:
            return line + (" (in this process)" if used == 1 else "")
        if projects < requested:
            return line + f": only {projects} project{'s' if projects != 1 else ''}"
        return line + f": the runner was started with {self.processes}"

    def _run_in_process(self, drift: Drift, record: ProgressCallback) -> dict[str, ProjectResult]:
        if self._context is None:
            self._context = make_context(
                self.spec, self.settings, self.options, self.scratch, self.health
            )
            if self.worker_setup is not None:
                self.worker_setup()
        results: dict[str, ProjectResult] = {}
        for project in drift.todo:
            unreachable = server_unreachable(self.health, self.options.outage_seconds)
            if unreachable:
                result = ProjectResult(project=project.name, error=f"not attempted: {unreachable}")
            else:
                compare = project.name in drift.undecided
                result = self._context.build(project, compare=compare)
            results[project.name] = result
            record(result)
        return results

    def _run_on_pool(
        self, shard: Shard, drift: Drift, record: ProgressCallback
    ) -> tuple[dict[str, ProjectResult], str | None]:
        fresh = self._executor is None
        if self._logs is None:
            self._logs = LogForwarder(make_queue()).start()
        if self._executor is None:
            self._executor = pool.make_executor(
                self.processes,
                init_worker,
                (
                    self.spec,
                    self.settings,
                    self.options,
                    self.scratch,
                    os.getpid(),
                    logging.getLogger("azkaban_seeder").getEffectiveLevel(),
                    self.worker_setup,
                    self._logs.queue,
                    self.health,
                ),
            )
        executor = self._executor
        head = None
        if fresh and self.worker_setup is None:
            # The pool's workers take a few tenths of a second to start: build the first
            # projects here meanwhile (see `headstart`; a test's worker_setup is meant for
            # pool workers, so it gets none).
            head = HeadStart(
                self.spec,
                self.settings,
                self.options,
                self.scratch,
                self.health,
                threads=self.processes,
            )
            head.warm(executor, self.processes)
        run = _PoolRun(self, shard, drift, record, fresh=fresh, head=head)
        healthy = False
        try:
            with pool.stop_on_signal(executor):
                results, error = run.run(executor)
            healthy = error is None
        finally:
            if head is not None:
                head.stop()
                logger.info(
                    "shard %s: %d project(s) built in this process while the pool started",
                    shard.index,
                    head.projects,
                )
            if not healthy:
                # A broken, late or interrupted pool is never reused: stop it now.
                pool.terminate_workers(executor)
                self._executor = None
        return results, error


class _PoolRun:
    """One shard on a pool: a sliding window of ``processes`` projects in flight, so each
    submitted project is really running and its deadline is meaningful."""

    def __init__(
        self,
        runner: ShardRunner,
        shard: Shard,
        drift: Drift,
        record: ProgressCallback,
        *,
        fresh: bool,
        head: HeadStart | None = None,
    ) -> None:
        self.spec = runner.spec
        self.settings = runner.settings
        self.options = runner.options
        self.processes = runner.processes
        self.shard = shard
        self.record = record
        self.health = runner.health
        self.scratch = Path(runner.scratch)
        # Only what the drift check left to build (labels still name the whole shard).
        self.pending: deque[ProjectPlan] = deque(drift.todo)
        self.undecided = drift.undecided
        self.in_flight: dict[Future[ProjectResult], tuple[ProjectPlan, float]] = {}
        self.results: dict[str, ProjectResult] = {}
        # Workers of a fresh pool still have to start: their first projects get an allowance.
        self.allowance_left = self.processes if fresh else 0
        self.head = head

    def run(self, executor: ProcessPoolExecutor) -> tuple[dict[str, ProjectResult], str | None]:
        """Results by project name, and a shard-level error (None if the pool stayed sound)."""
        try:
            self._loop(executor)
        except ServerGone as gone:
            return self.results, self._abort(str(gone), pending_prefix="not attempted")
        except BrokenProcessPool:
            return self.results, self._abort("a worker process died")
        except TimeoutError as exc:
            return self.results, self._abort(str(exc))
        return self.results, None

    def _loop(self, executor: ProcessPoolExecutor) -> None:
        while self.pending or self.in_flight:
            self._fill(executor)
            done, _ = wait(
                list(self.in_flight), timeout=self._next_wait(), return_when=FIRST_COMPLETED
            )
            for future in done:
                result = future.result()  # raises BrokenProcessPool if a worker died
                project, _deadline = self.in_flight.pop(future)
                self.results[project.name] = result
                self.record(result)
            self._check_deadlines()
            self._check_server()

    def _check_server(self) -> None:
        """Stop dispatching once the run's server has been unreachable (or silent while we
        wait on it) for longer than the outage window; in-flight requests are abandoned.

        A silent server (it accepts connections but never answers, e.g. SIGSTOPped) fails
        no request before the read timeout, so nothing has put it down on the run's board
        yet: mark it down since its last answer, so every later call of the run (the next
        shard, the final verify) fails at once through the client's circuit instead of
        waiting out its own read timeout. Any later answer clears the mark."""
        window = self.options.outage_seconds
        reason = server_unreachable(self.health, window)
        last_answer = self.health.last_answer()
        if reason is None and self.in_flight and time.time() - last_answer > window:
            reason = (
                f"server unreachable: no reply since {describe_since(last_answer)} "
                f"(outage window {window:g} s)"
            )
            self.health.failed(last_answer)
        if reason is not None:
            raise ServerGone(reason)

    def _fill(self, executor: ProcessPoolExecutor) -> None:
        scheduled = has_schedules(self.spec)
        # Children are started inside submit(); keep __main__ hidden while that happens.
        with pool.hidden_main():
            while self.pending and len(self.in_flight) < self.processes:
                # Taken off the queue only once submitted: a pool that broke since the last
                # wait refuses the submit, and `_abort` then reports the project "not started".
                project = self.pending[0]
                limit = project_timeout(
                    self.options, self.settings, project.flow_count, scheduled=scheduled
                )
                compare = project.name in self.undecided
                if self.head is not None and not self.head.pool_up():
                    future = self.head.submit(project, compare)
                    allowance = 0.0
                else:
                    future = executor.submit(run_project, project, compare)
                    allowance = STARTUP_ALLOWANCE if self.allowance_left > 0 else 0.0
                    self.allowance_left = max(0, self.allowance_left - 1)
                self.in_flight[future] = (project, time.monotonic() + limit + allowance)
                self.pending.popleft()

    def _next_wait(self) -> float:
        if not self.in_flight:
            return 0.0
        nearest = min(deadline for _project, deadline in self.in_flight.values())
        return max(0.0, min(POLL_SECONDS, nearest - time.monotonic()))

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        late = [p.name for p, deadline in self.in_flight.values() if deadline <= now]
        if late:
            raise TimeoutError(f"project(s) {', '.join(late)} exceeded the per-project timeout")

    def _abort(self, reason: str, *, pending_prefix: str = "not started") -> str:
        """Fail the shard: in-flight projects get ``reason``, unstarted ones 'not started'
        (or ``pending_prefix``)."""
        for future, (project, _deadline) in list(self.in_flight.items()):
            # Projects that finished before the failure keep their real result.
            if future.done() and not future.cancelled() and future.exception() is None:
                self.results[project.name] = future.result()
                del self.in_flight[future]
        names = [project.name for project, _deadline in self.in_flight.values()]
        message = f"{self.shard.label}: {reason}"
        if names:
            message += f" while building {', '.join(names)}"
        logger.error("%s; stopping the shard", message)
        for project, _deadline in self.in_flight.values():
            # An abandoned project never returns its own result (its worker is terminated
            # next): what it had tried is in the note its worker left at its latest retry
            # (`inflight`); none means no retry, and only the attempt in progress is unknown.
            tried = inflight.read(self.scratch, project.name) or inflight.Tried()
            self.results[project.name] = ProjectResult(
                project=project.name,
                error=message,
                attempts=tried.attempts,
                retries=tried.retries,
            )
        for project in self.pending:
            self.results[project.name] = ProjectResult(
                project=project.name, error=f"{pending_prefix}: {message}"
            )
        self.in_flight.clear()
        self.pending.clear()
        return message

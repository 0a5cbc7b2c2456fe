"""`crawl`: read a live Azkaban through the read-only client and return `Observations`.

Phases (docs/azkaban-reference.md §10; every call is a whitelisted GET of
`azkaban_seeder.azkaban.readonly`):

1. ``fetchallprojects`` once; projects in id order, numbered 0, 1, ... (names stay here);
   with ``projects`` given, only those (e.g. the planned projects of a test environment).
2. ``fetchprojectflows`` per project; flows in id order.
3. ``fetchflowgraph`` per flow -> `NodeObservation` s by position in the id-sorted node list,
   ``parents`` from ``in``, embedded flows nested. An embedded ``flowId`` holding ``:`` proves
   Flow 2.0 and one without proves 1.0; a project is one format, so the proof covers all its
   flows (no embedded flow: unknown).
4. ``fetchSchedules`` once: (project, flow) -> cron.
5. Execution history, sampled, because ``fetchFlowExecutions`` decodes a blob per row on the
   server: at most ``max_history_flows`` flows (a seeded shuffle, so the same server gives
   the same sample), per flow the newest ``max_executions`` executions submitted in the last
   ``history_days`` days (pages of that length; paging stops at the first older one), and
   ``fetchexecflow`` for each of them (per-job times).

Names (project, flow, job ids) exist only to address the next request and never enter the
observations. The phases run on ``max_in_flight`` threads sharing the client's limits.
Progress and an ETA are logged at INFO every ``progress_seconds``. ``complete`` is True only
when everything planned was fetched; projects, flows or executions deleted while the crawl
ran are skipped (counted in the log). On a failure or when the time budget runs out the
outcome names what is missing and how to fix it; `CrawlOutcome.check` raises
`CrawlIncomplete`, and a caller must then write no profile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TypeVar

from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban.readonly import BudgetExhausted, ReadOnlyClient
from azkaban_seeder.azkaban.replies import ExecutionRow
from azkaban_seeder.azkaban.settings import ConnectionSettings
from azkaban_seeder.crawl.convert import format_evidence, graph_nodes, job_run, sample_positions
from azkaban_seeder.crawl.options import CrawlOptions, CrawlOutcome
from azkaban_seeder.crawl.progress import CrawlProgress
from azkaban_seeder.profile.observations import (
    ExecutionObservation,
    FlowObservation,
    NodeObservation,
    Observations,
)

logger = logging.getLogger("azkaban_seeder.crawl")

T = TypeVar("T")
R = TypeVar("R")

DAY_MS = 86_400_000
#: Failures that mean "this object is gone" (deleted while the crawl ran): skipped.
VANISHED = (e.ProjectNotFound, e.FlowNotFound, e.ExecutionNotFound)


@dataclass
class _FlowRef:
    """A flow to read (names only to address requests; never stored in observations)."""

    project: int
    project_name: str
    flow: str
    nodes: tuple[NodeObservation, ...] | None = None
    evidence: str | None = None
    executions: tuple[ExecutionObservation, ...] = ()


@dataclass
class _Tally:
    vanished: int = 0
    executions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def gone(self) -> None:
        with self._lock:
            self.vanished += 1

    def sampled(self, executions: int) -> None:
        with self._lock:
            self.executions += executions


class _Crawler:
    def __init__(
        self, client: ReadOnlyClient, options: CrawlOptions, only: Collection[str] | None = None
    ) -> None:
        self.client = client
        self.options = options
        self.only = None if only is None else frozenset(only)
        self.progress = CrawlProgress(lambda: client.requests, options.progress_seconds)
        self.tally = _Tally()
        self.started_ms = int(time.time() * 1000)
        self.cutoff_ms = self.started_ms - options.history_days * DAY_MS
        self.projects: list[str] = []
        self.project_count = 0
        self.flows: list[_FlowRef] = []
        self.history_planned = 0

    # -- phases

    def run_phase(self, phase: str, items: Sequence[T], work: Callable[[T], R]) -> list[R]:
        """``work`` over ``items`` on the client's threads, results in order; the first
        failure stops submitting and is raised once the running calls have ended."""
        self.progress.start(phase, len(items))
        results: list[R | None] = [None] * len(items)
        window = 2 * self.options.max_in_flight
        queue = iter(enumerate(items))
        with ThreadPoolExecutor(self.options.max_in_flight, thread_name_prefix="crawl") as pool:
            running: dict[Future[R], int] = {}
            self._fill(pool, queue, running, work, window)
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    results[running.pop(future)] = future.result()
                    self.progress.tick()
                self._fill(pool, queue, running, work, window)
        return results  # type: ignore[return-value]  # every slot was filled

    @staticmethod
    def _fill(
        pool: ThreadPoolExecutor,
        queue: Iterable[tuple[int, T]],
        running: dict[Future[R], int],
        work: Callable[[T], R],
        window: int,
    ) -> None:
        for index, item in queue:
            running[pool.submit(work, item)] = index
            if len(running) >= window:
                return

    def list_projects(self) -> None:
        self.progress.start("projects", 1)
        refs = sorted(self.client.fetch_all_projects(), key=lambda p: p.id)
        self.projects = [ref.name for ref in refs if self.only is None or ref.name in self.only]
        self.progress.tick()

    def list_flows(self) -> None:
        def flows_of(name: str) -> list[str] | None:
            try:
                return self.client.fetch_project_flows(name)
            except VANISHED:
                self.tally.gone()
                return None

        listed = self.run_phase("project flow lists", self.projects, flows_of)
        self.flows = [
            _FlowRef(i, name, flow)
            for i, (name, flows) in enumerate(zip(self.projects, listed, strict=True))
            for flow in flows or ()
        ]
        self.project_count = sum(1 for flows in listed if flows is not None)

    def read_graphs(self) -> None:
        def graph_of(ref: _FlowRef) -> None:
            try:
                infos = self.client.fetch_flow_graph(ref.project_name, ref.flow)
            except VANISHED:
                self.tally.gone()
                return
            ref.nodes = graph_nodes(infos)
            ref.evidence = format_evidence(infos)

        self.run_phase("flow graphs", self.flows, graph_of)

    def read_schedules(self) -> dict[tuple[str, str], str]:
        self.progress.start("schedules", 1)
        crons = {
            (item.project.lower(), item.flow): item.cron
            for item in self.client.fetch_schedules()
            if item.cron
        }
        self.progress.tick()
        return crons

    def read_histories(self) -> None:
        present = [ref for ref in self.flows if ref.nodes is not None]
        chosen = sample_positions(len(present), self.options.max_history_flows, self.options.seed)
        self.history_planned = len(chosen)

        def history_of(ref: _FlowRef) -> None:
            try:
                ref.executions = self._history(ref)
            except VANISHED:
                self.tally.gone()

        self.run_phase("execution histories", [present[i] for i in chosen], history_of)

    # -- one flow's history

    def _recent_rows(self, ref: _FlowRef) -> list[ExecutionRow]:
        """The newest executions submitted since the cutoff, at most ``max_executions``."""
        limit = self.options.max_executions
        rows: list[ExecutionRow] = []
        start = 0
        while len(rows) < limit:
            page = self.client.fetch_flow_executions(ref.project_name, ref.flow, start, limit)
            fresh = [row for row in page.rows if row.submit_ms >= self.cutoff_ms]
            rows += fresh[: limit - len(rows)]
            start += len(page.rows)
            if len(fresh) < len(page.rows) or not page.rows or start >= page.total:
                break
        return rows

    def _history(self, ref: _FlowRef) -> tuple[ExecutionObservation, ...]:
        out = []
        for row in self._recent_rows(ref):
            try:
                info = self.client.fetch_exec_flow(row.exec_id)
            except e.ExecutionNotFound:
                self.tally.gone()
                continue
            jobs = tuple(job_run(job) for job in info.jobs)
            out.append(
                ExecutionObservation(info.status, info.submit_ms, info.start_ms, info.end_ms, jobs)
            )
        self.tally.sampled(len(out))
        return tuple(out)

    # -- assembly

    def observations(self, crons: dict[tuple[str, str], str], complete: bool) -> Observations:
        formats: dict[int, str] = {}
        for ref in self.flows:
            if ref.evidence is not None and formats.get(ref.project) != "2.0":
                formats[ref.project] = ref.evidence
        flows = [
            FlowObservation(
                project=ref.project,
                nodes=ref.nodes,
                flow_format=formats.get(ref.project),
                cron=crons.get((ref.project_name.lower(), ref.flow)),
                executions=ref.executions,
            )
            for ref in self.flows
            if ref.nodes is not None
        ]
        return Observations(
            projects=self.project_count,
            flows=flows if complete else [],
            history_days=self.options.history_days,
            max_executions_per_flow=self.options.max_executions,
            crawl_started_ms=self.started_ms,
            requests=self.client.requests,
            complete=complete,
        )

    def planned_requests(self) -> int:
        """About how many requests the whole crawl takes (for the budget advice)."""
        flows = len(self.flows) or 1
        histories = min(flows, self.options.max_history_flows)
        return 3 + len(self.projects) + flows + histories * (1 + self.options.max_executions)


def _missing_and_fix(crawler: _Crawler, exc: e.AzkabanError) -> tuple[str, str]:
    p = crawler.progress
    where = f"stopped in phase '{p.phase}' at {p.done}/{p.total}"
    options = crawler.options
    if isinstance(exc, BudgetExhausted):
        need = crawler.planned_requests() / options.rate
        return (
            f"{where}: the time budget of {options.budget_seconds:g} s ran out",
            f"raise --budget-seconds (this crawl needs about {need:.0f} s at --rate "
            f"{options.rate:g}), or lower --max-executions / --max-history-flows",
        )
    fixes: tuple[tuple[type[e.AzkabanError], str], ...] = (
        (e.LoginFailed, "check --user and the password (AZKABAN_PASSWORD / --password-stdin)"),
        (e.PermissionDenied, "use an account with READ on every project (a READ role)"),
        (
            e.AzkabanProtocolError,
            "check that --url is the Azkaban web server; its replies are not Azkaban's",
        ),
    )
    fix = next(
        (text for cls, text in fixes if isinstance(exc, cls)),
        "the server did not answer reliably; retry later or lower --rate",
    )
    return f"{where}: {exc}", fix


def crawl_outcome(
    settings: ConnectionSettings,
    options: CrawlOptions | None = None,
    *,
    client: ReadOnlyClient | None = None,
    projects: Collection[str] | None = None,
) -> CrawlOutcome:
    """Crawl the server read-only; never raises for Azkaban failures (see ``missing``).
    ``projects``: crawl only the projects of these names (default: every project)."""
    options = options or CrawlOptions()
    own = client is None
    client = client or ReadOnlyClient(settings, options.gentleness(), options.retry)
    crawler = _Crawler(client, options, projects)
    crons: dict[tuple[str, str], str] = {}
    missing = fix = None
    try:
        client.login()
        crawler.list_projects()
        crawler.list_flows()
        crawler.read_graphs()
        crons = crawler.read_schedules()
        crawler.read_histories()
    except e.AzkabanError as exc:
        missing, fix = _missing_and_fix(crawler, exc)
        logger.error("crawl incomplete: %s; fix: %s", missing, fix)
    finally:
        if own:
            client.close()
    seconds = time.monotonic() - crawler.progress.started
    obs = crawler.observations(crons, complete=missing is None)
    seen = client.transport.max_in_flight_seen
    if missing is None:
        logger.info(
            "crawl complete: %d projects, %d flows (%d scheduled), %d histories with %d "
            "executions; %d requests in %.1f s (at most %d in flight; %d vanished meanwhile)",
            obs.projects,
            len(obs.flows),
            sum(1 for f in obs.flows if f.cron),
            crawler.history_planned,
            crawler.tally.executions,
            obs.requests,
            seconds,
            seen,
            crawler.tally.vanished,
        )
    return CrawlOutcome(obs, seconds, seen, missing, fix)


def crawl(settings: ConnectionSettings, options: CrawlOptions | None = None) -> Observations:
    """`crawl_outcome` 's observations: ``complete`` False when anything planned is missing
    (then write no profile; `crawl_outcome(...).check()` raises `CrawlIncomplete`)."""
    return crawl_outcome(settings, options).observations

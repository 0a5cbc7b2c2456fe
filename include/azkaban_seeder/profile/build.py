"""`build_profile`: what the crawler saw (`Observations`) -> a `Profile` of distributions.

Every distribution is k-anonymised on the way (``ProfileOptions.k``): numeric bins of fewer
than k members merge into range bins, small categories into ``other`` (flow formats into
``unknown``), small joint shape rows are coarsened, and a fire-time minute counts the distinct
flows behind it, so no bin, category or row stands for fewer than k flows (or nodes, or runs).
Job types that are not short tokens are counted as ``other`` and never written.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from azkaban_seeder.profile.cadence import Cadence, cadence_of, other_cadence, week_fires
from azkaban_seeder.profile.dag import GraphMetrics, measure
from azkaban_seeder.profile.errors import GraphError, ProfileError
from azkaban_seeder.profile.jsonfile import job_type_problem
from azkaban_seeder.profile.model import (
    CADENCE_CLASSES,
    FLOW_FORMATS,
    HOURS_PER_WEEK,
    OTHER,
    QUANTILE_PROBS,
    Counts,
    Executions,
    Graphs,
    Histogram,
    OtherCadence,
    Profile,
    ProfileOptions,
    Quantiles,
    Schedules,
    SubHourly,
)
from azkaban_seeder.profile.observations import ExecutionObservation, FlowObservation, Observations
from azkaban_seeder.profile.stats import (
    coarsen_rows,
    merge_small_bins,
    merge_small_categories,
    merge_small_counts,
    quantiles,
)

logger = logging.getLogger(__name__)

UNKNOWN_FORMAT = "unknown"
FINISHED_FLOW_STATUSES = frozenset(
    {"SUCCEEDED", "FAILED", "KILLED", "CANCELLED", "EXECUTION_STOPPED", "FAILED_SUCCEEDED"}
)
FAILED_STATUSES = frozenset({"FAILED", "EXECUTION_STOPPED"})
RAN_JOB_STATUSES = frozenset({"SUCCEEDED", "FAILED", "KILLED", "FAILED_SUCCEEDED"})
_MS_PER_HOUR = 3_600_000
_EPOCH_HOUR_OF_WEEK = 4 * 24  # 1970-01-01 was a Thursday; hour of week 0 is Sunday 00:00


def created_now() -> str:
    """The current UTC time as the profile's ``created`` value."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def job_type_label(job_type: str) -> str:
    """The job type as the profile may hold it: the token, or ``other``."""
    return job_type if job_type_problem(job_type) is None else OTHER


# --------------------------------------------------------------------------- graphs


def _measure_all(flows: Sequence[FlowObservation]) -> list[GraphMetrics]:
    measured = []
    for position, flow in enumerate(flows):
        try:
            measured.append(measure(flow.nodes))
        except GraphError as exc:
            logger.warning("flow #%s left out of the graph distributions: %s", position, exc)
    return measured


def _flows_per_project(obs: Observations) -> Counter[int]:
    per_project = Counter(flow.project for flow in obs.flows)
    counts = Counter(per_project.values())
    empty = obs.projects - len(per_project)
    if empty > 0:
        counts[0] += empty
    return counts


def _labelled(counts: dict[str, int], order: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple((label, counts.get(label, 0)) for label in order)


def _job_types(measured: Sequence[GraphMetrics], k: int) -> tuple[tuple[str, int], ...]:
    counts = Counter(job_type_label(t) for m in measured for t in m.job_types)
    merged = merge_small_categories(counts, k)
    return tuple(sorted(merged.items(), key=lambda item: (-item[1], item[0])))


def _flow_formats(flows: Sequence[FlowObservation], k: int) -> tuple[tuple[str, int], ...]:
    counts = Counter(
        f.flow_format if f.flow_format in FLOW_FORMATS else UNKNOWN_FORMAT for f in flows
    )
    return _labelled(merge_small_categories(counts, k, other=UNKNOWN_FORMAT), FLOW_FORMATS)


def _graphs(obs: Observations, measured: Sequence[GraphMetrics], k: int) -> Graphs:
    def hist(values: Iterable[int]) -> Histogram:
        return merge_small_counts(Counter(values), k)

    return Graphs(
        flows_per_project=merge_small_counts(_flows_per_project(obs), k),
        jobs_per_flow=hist(m.jobs for m in measured),
        depth=hist(m.depth for m in measured),
        max_width=hist(m.max_width for m in measured),
        level_width=hist(w for m in measured for w in m.level_widths),
        fan_in=hist(v for m in measured for v in m.fan_in),
        fan_out=hist(v for m in measured for v in m.fan_out),
        embedded_flows=hist(m.embedded_flows for m in measured),
        embedded_depth=hist(m.embedded_depth for m in measured),
        shape_table=coarsen_rows(Counter((m.jobs, m.depth, m.max_width) for m in measured), k),
        job_types=_job_types(measured, k),
        flow_formats=_flow_formats(obs.flows, k),
    )


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class _Scheduled:
    position: int
    cadence: Cadence
    fires: tuple[tuple[int, int], ...]


def _scheduled(flows: Sequence[FlowObservation]) -> list[_Scheduled]:
    out = []
    for position, flow in enumerate(flows):
        if flow.cron is None:
            continue
        try:
            fires = week_fires(flow.cron)
        except ValueError as exc:
            logger.warning("flow #%s: cron not understood (%s); counted as other", position, exc)
            fires = ()
        out.append(_Scheduled(position, cadence_of(flow.cron), fires))
    return out


def _kept_classes(scheduled: Sequence[_Scheduled], k: int) -> dict[str, int]:
    """Flows per cadence class after small classes fold into ``other``."""
    return merge_small_categories(Counter(s.cadence.kind for s in scheduled), k)


def _final_cadences(scheduled: Sequence[_Scheduled], kept: dict[str, int]) -> list[Cadence]:
    out = []
    for s in scheduled:
        if s.cadence.kind in kept and s.cadence.kind != OTHER:
            out.append(s.cadence)
        elif OTHER in kept:
            out.append(s.cadence if s.cadence.kind == OTHER else other_cadence(s.fires))
    return out


def _param(cadences: Sequence[Cadence], kind: str, attribute: str, k: int) -> Histogram:
    return merge_small_counts(Counter(getattr(c, attribute) for c in cadences if c.kind == kind), k)


def _fires_histogram(scheduled: Sequence[_Scheduled], k: int) -> Histogram:
    fires: dict[int, int] = defaultdict(int)
    flows: dict[int, set[int]] = defaultdict(set)
    for s in scheduled:
        for minute, n in s.fires:
            fires[minute] += n
            flows[minute].add(s.position)
    points = [(minute, fires[minute], frozenset(flows[minute])) for minute in fires]
    return merge_small_bins(points, k, len, frozenset.union)


def _schedules(flows: Sequence[FlowObservation], k: int) -> tuple[Schedules, int]:
    scheduled = _scheduled(flows)
    kept = _kept_classes(scheduled, k)
    cadences = _final_cadences(scheduled, kept)
    schedules = Schedules(
        cadences=_labelled(kept, CADENCE_CLASSES),
        sub_hourly=SubHourly(
            interval=_param(cadences, "sub_hourly", "interval", k),
            offset=_param(cadences, "sub_hourly", "offset", k),
        ),
        hourly_minute=_param(cadences, "hourly", "minute", k),
        daily_minute=_param(cadences, "daily", "minute", k),
        weekly_minute=_param(cadences, "weekly", "minute", k),
        other=OtherCadence(
            days_per_week=_param(cadences, OTHER, "days_per_week", k),
            hours_per_day=_param(cadences, OTHER, "hours_per_day", k),
            fires_per_hour=_param(cadences, OTHER, "fires_per_hour", k),
            minute_of_day=_param(cadences, OTHER, "minute", k),
        ),
        fires_per_week=_fires_histogram(scheduled, k),
    )
    return schedules, len(scheduled)


# --------------------------------------------------------------------------- executions


def _quantiles(values: Sequence[float], k: int) -> Quantiles | None:
    if len(values) < k:
        return None
    return Quantiles(len(values), tuple(round(q, 3) for q in quantiles(values, QUANTILE_PROBS)))


def _rate(failed: int, total: int) -> float:
    return round(failed / total, 6) if total else 0.0


def _flow_seconds(executions: Sequence[ExecutionObservation]) -> list[float]:
    return [
        (e.end_ms - e.start_ms) / 1000
        for e in executions
        if e.start_ms > 0 and e.end_ms >= e.start_ms and e.status in FINISHED_FLOW_STATUSES
    ]


def _job_seconds(
    executions: Sequence[ExecutionObservation], k: int
) -> tuple[tuple[tuple[str, Quantiles], ...], float]:
    runs = [
        (job_type_label(run.type), run)
        for e in executions
        for run in e.jobs
        if run.status in RAN_JOB_STATUSES and run.seconds >= 0
    ]
    kept = merge_small_categories(Counter(label for label, _ in runs), k)
    by_type: dict[str, list[float]] = defaultdict(list)
    for label, run in runs:
        by_type[label if label in kept else OTHER].append(run.seconds)
    table = []
    for label in sorted(kept, key=lambda t: (-kept[t], t)):
        q = _quantiles(by_type[label], k)
        if q is not None:
            table.append((label, q))
    failed = sum(1 for _, run in runs if run.status in FAILED_STATUSES)
    return tuple(table), _rate(failed, len(runs))


def _concurrency(
    executions: Sequence[ExecutionObservation], history_days: int
) -> tuple[float, ...]:
    """Mean running flows (of the sample) per UTC hour of the week."""
    seconds = [0.0] * HOURS_PER_WEEK
    for e in executions:
        if e.start_ms <= 0 or e.end_ms <= e.start_ms:
            continue
        at = e.start_ms
        while at < e.end_ms:
            hour = at // _MS_PER_HOUR
            until = min(e.end_ms, (hour + 1) * _MS_PER_HOUR)
            seconds[(hour + _EPOCH_HOUR_OF_WEEK) % HOURS_PER_WEEK] += (until - at) / 1000
            at = until
    weeks = max(history_days, 1) / 7
    return tuple(round(s / (3600 * weeks), 6) for s in seconds)


def _executions(obs: Observations, k: int) -> Executions | None:
    executions = [e for flow in obs.flows for e in flow.executions]
    if not executions:
        return None
    finished = [e for e in executions if e.status in FINISHED_FLOW_STATUSES]
    failed = sum(1 for e in finished if e.status in FAILED_STATUSES)
    job_seconds, job_failure_rate = _job_seconds(executions, k)
    return Executions(
        flow_seconds=_quantiles(_flow_seconds(executions), k),
        job_seconds=job_seconds,
        flow_failure_rate=_rate(failed, len(finished)),
        job_failure_rate=job_failure_rate,
        concurrency_by_hour=_concurrency(executions, obs.history_days),
    )


# --------------------------------------------------------------------------- profile


def build_profile(
    obs: Observations, options: ProfileOptions | None = None, *, created: str | None = None
) -> Profile:
    """The profile of one complete crawl; raises `ProfileError` for a partial crawl.

    ``history_days`` and ``max_executions_per_flow`` are taken from the observations (they
    describe the crawl); ``k`` and the likeness thresholds from ``options``."""
    if not obs.complete:
        raise ProfileError(
            "the crawl did not complete (partial observations)",
            "re-run the crawl to completion; a partial crawl is never a profile",
        )
    options = replace(
        options or ProfileOptions(),
        history_days=obs.history_days,
        max_executions_per_flow=obs.max_executions_per_flow,
    )
    k = options.k
    measured = _measure_all(obs.flows)
    schedules, scheduled = _schedules(obs.flows, k)
    return Profile(
        created=created or created_now(),
        options=options,
        counts=Counts(
            projects=obs.projects,
            flows=len(obs.flows),
            scheduled_flows=scheduled,
            executions_sampled=sum(len(f.executions) for f in obs.flows),
        ),
        graphs=_graphs(obs, measured, k),
        schedules=schedules,
        executions=_executions(obs, k),
    )

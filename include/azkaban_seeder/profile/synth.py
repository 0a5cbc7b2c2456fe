"""Synthesis: draw flow graphs, cron schedules and job commands from a profile.

A `Synthesizer` is built once per loaded profile (cumulative tables for every distribution it
draws from) and then draws one flow at a time from a caller's ``random.Random`` (the flows
package passes ``flow_rng(seed, index)``), so flow ``index`` is the same in every process.

Graph: a row of the joint (jobs, depth, max width) table (uniform inside a coarsened row's
ranges), made feasible for a layered DAG with ONE sink (the root, level 0): exactly that many
jobs and that depth, max width at most the drawn width unless the jobs cannot fit otherwise.
Every job at level L >= 1 links down to one job at level L - 1 (so its level is exactly L)
plus ``fan_out - 1`` more jobs on any lower level, ``fan_out`` drawn from the profile's
fan-out of non-sink jobs.

Schedule: unscheduled, or a cadence class drawn with the profile's flow shares; its
parameters are drawn from that class's own distributions (daily flows' minute of day, hourly
flows' minute, weekly flows' minute of week, sub-hourly interval and offset, ``other``'s
days, hours, minutes), which is what brings the fire-time peaks back.

Commands: with sampled job durations, each job draws a job type (the profile's shares) and a
duration from that type's quantiles (never above its maximum) and becomes
``sh -c 'sleep S'``; a flow fails, at the profile's flow failure rate, by one of its jobs
ending ``exit 1``. Without execution data the caller keeps its own command template.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from azkaban_seeder.profile.cadence import (
    Cadence,
    daily_cron,
    hourly_cron,
    other_cron,
    sub_hourly_cron,
    weekly_cron,
)
from azkaban_seeder.profile.jsonfile import load_profile
from azkaban_seeder.profile.model import (
    CADENCE_CLASSES,
    OTHER,
    Histogram,
    Profile,
    ShapeRow,
)
from azkaban_seeder.profile.stats import quantile_at

UNSCHEDULED = "unscheduled"
DEFAULT_INTERVAL = 15

#: ``(job number, upstream job numbers)`` in topological order; 0 is the root, listed last.
NumberedGraph = list[tuple[int, tuple[int, ...]]]


@dataclass(frozen=True)
class Sampler:
    """Draws integers from a histogram: a bin by cumulative weight, then uniform inside it."""

    lows: tuple[int, ...]
    spans: tuple[int, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, hist: Histogram, minimum: int | None = None) -> Sampler:
        """A sampler of ``hist``, optionally conditioned on values >= ``minimum``."""
        lows, spans, cumulative, total = [], [], [], 0.0
        for b in hist.bins:
            lo = b.lo if minimum is None else max(b.lo, minimum)
            if lo > b.hi or b.count <= 0:
                continue
            total += b.count * (b.hi - lo + 1) / (b.hi - b.lo + 1)
            lows.append(lo)
            spans.append(b.hi - lo + 1)
            cumulative.append(total)
        return cls(tuple(lows), tuple(spans), tuple(cumulative))

    @property
    def empty(self) -> bool:
        return not self.lows

    def draw(self, u: float, default: int = 0) -> int:
        """The value at ``u`` in [0, 1) of the inverse CDF (``default`` when empty)."""
        if not self.lows:
            return default
        target = u * self.cumulative[-1]
        i = min(bisect.bisect_right(self.cumulative, target), len(self.lows) - 1)
        start = self.cumulative[i - 1] if i else 0.0
        width = self.cumulative[i] - start
        inside = (target - start) / width if width > 0 else 0.0
        return self.lows[i] + min(int(inside * self.spans[i]), self.spans[i] - 1)


@dataclass(frozen=True)
class Labels:
    """Draws a label with the given weights."""

    labels: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, weights: Sequence[tuple[str, float]]) -> Labels:
        labels, cumulative, total = [], [], 0.0
        for label, weight in weights:
            if weight > 0:
                total += weight
                labels.append(label)
                cumulative.append(total)
        return cls(tuple(labels), tuple(cumulative))

    def draw(self, u: float, default: str = "") -> str:
        if not self.labels:
            return default
        i = bisect.bisect_right(self.cumulative, u * self.cumulative[-1])
        return self.labels[min(i, len(self.labels) - 1)]


@dataclass(frozen=True)
class CadenceSamplers:
    """The per-class parameter samplers of a profile's schedules."""

    interval: Sampler
    offset: Sampler
    hourly: Sampler
    daily: Sampler
    weekly: Sampler
    days_per_week: Sampler
    hours_per_day: Sampler
    fires_per_hour: Sampler
    other_minute: Sampler

    @classmethod
    def of(cls, profile: Profile) -> CadenceSamplers:
        s = profile.schedules
        return cls(
            interval=Sampler.of(s.sub_hourly.interval, 1),
            offset=Sampler.of(s.sub_hourly.offset),
            hourly=Sampler.of(s.hourly_minute),
            daily=Sampler.of(s.daily_minute),
            weekly=Sampler.of(s.weekly_minute),
            days_per_week=Sampler.of(s.other.days_per_week),
            hours_per_day=Sampler.of(s.other.hours_per_day, 1),
            fires_per_hour=Sampler.of(s.other.fires_per_hour, 1),
            other_minute=Sampler.of(s.other.minute_of_day),
        )

    def cron(self, kind: str, rng: random.Random) -> str:
        """A Quartz cron of class ``kind`` with parameters drawn from the profile."""
        if kind == "sub_hourly":
            interval = self.interval.draw(rng.random(), DEFAULT_INTERVAL)
            return sub_hourly_cron(interval, self.offset.draw(rng.random()))
        if kind == "hourly":
            return hourly_cron(self.hourly.draw(rng.random()))
        if kind == "daily":
            return daily_cron(self.daily.draw(rng.random()))
        if kind == "weekly":
            return weekly_cron(self.weekly.draw(rng.random()))
        cadence = Cadence(
            OTHER,
            minute=self.other_minute.draw(rng.random()),
            hours_per_day=self.hours_per_day.draw(rng.random(), 1),
            fires_per_hour=self.fires_per_hour.draw(rng.random(), 1),
        )
        days = rng.sample(range(7), min(7, self.days_per_week.draw(rng.random())))
        return other_cron(cadence, days)


@dataclass(frozen=True)
class Durations:
    """Job-duration quantile tables by job type, with the type shares to draw from."""

    probs: tuple[float, ...]
    by_type: dict[str, tuple[float, ...]]
    types: Labels
    fallback: tuple[float, ...]

    def seconds(self, rng: random.Random) -> float:
        job_type = self.types.draw(rng.random(), OTHER)
        table = self.by_type.get(job_type) or self.by_type.get(OTHER) or self.fallback
        seconds = quantile_at(self.probs, table, rng.random())
        return min(seconds, table[-1])


def sleep_command(seconds: float, fail: bool) -> str:
    """``sh -c 'sleep S'`` (S rounded down to 0.1 s), ending ``exit 1`` when ``fail``.

    Azkaban's command job splits the line on spaces outside quotes, so the single-quoted
    script reaches ``sh`` as one argument; the text holds no ``$`` (no property expansion)."""
    tenths = max(0, math.floor(seconds * 10))
    script = f"sleep {tenths // 10}.{tenths % 10}" + ("; exit 1" if fail else "")
    return f"sh -c '{script}'"


def _feasible(jobs: int, depth: int, width: int) -> tuple[int, int, int]:
    """(jobs, depth, width) a one-sink layered DAG can have: jobs and depth kept (depth >= 2
    when there is more than one job), width raised only if the jobs would not fit."""
    if jobs <= 1:
        return 1, 1, 1
    depth = min(max(depth, 2), jobs)
    upper, levels = jobs - 1, depth - 1
    width = min(max(width, -(-upper // levels)), upper - levels + 1)
    return jobs, depth, width


def _level_sizes(jobs: int, depth: int, width: int, rng: random.Random) -> list[int]:
    """Jobs per level (level 0 = the root): one level exactly ``width`` wide, others >= 1."""
    if jobs == 1:
        return [1]
    levels = depth - 1
    sizes = [1] * levels
    sizes[rng.randrange(levels)] = width
    rest = jobs - 1 - levels - (width - 1)
    open_levels = [i for i in range(levels) if sizes[i] < width]
    while rest > 0:
        pick = rng.randrange(len(open_levels))
        level = open_levels[pick]
        sizes[level] += 1
        rest -= 1
        if sizes[level] == width:
            open_levels[pick] = open_levels[-1]
            open_levels.pop()
    return [1, *sizes]


@dataclass(frozen=True)
class Synthesizer:
    """Everything precomputed to draw flows from one profile."""

    shapes: tuple[ShapeRow, ...]
    shape_cumulative: tuple[int, ...]
    fan_out: Sampler
    schedule: Labels
    cadences: CadenceSamplers
    durations: Durations | None
    flow_failure_rate: float

    @classmethod
    def of(cls, profile: Profile) -> Synthesizer:
        rows = tuple(r for r in profile.graphs.shape_table if r.count > 0)
        cumulative, total = [], 0
        for row in rows:
            total += row.count
            cumulative.append(total)
        scheduled = dict(profile.schedules.cadences)
        unscheduled = max(0, profile.counts.flows - profile.schedules.cadence_total)
        weights = [(UNSCHEDULED, float(unscheduled))]
        weights += [(kind, float(scheduled.get(kind, 0))) for kind in CADENCE_CLASSES]
        executions = profile.executions
        return cls(
            shapes=rows,
            shape_cumulative=tuple(cumulative),
            fan_out=Sampler.of(profile.graphs.fan_out, 1),
            schedule=Labels.of(weights),
            cadences=CadenceSamplers.of(profile),
            durations=_durations(profile),
            flow_failure_rate=executions.flow_failure_rate if executions else 0.0,
        )

    # ------------------------------------------------------------------ graph

    def dimensions(self, rng: random.Random) -> tuple[int, int, int]:
        """A feasible (jobs, depth, max width) drawn from the joint table (1, 1, 1 if empty)."""
        if not self.shapes:
            return 1, 1, 1
        target = rng.random() * self.shape_cumulative[-1]
        i = min(bisect.bisect_right(self.shape_cumulative, target), len(self.shapes) - 1)
        row = self.shapes[i]
        return _feasible(rng.randint(*row.jobs), rng.randint(*row.depth), rng.randint(*row.width))

    def _links(self, sizes: list[int], rng: random.Random) -> list[list[int]]:
        """Upstream flat indexes of every job (flat index = position by level, root first)."""
        upstream: list[list[int]] = [[] for _ in range(sum(sizes))]
        start = 0
        for level in range(1, len(sizes)):
            lower_start, start = start, start + sizes[level - 1]
            for job in range(start, start + sizes[level]):
                primary = rng.randrange(lower_start, start)
                upstream[primary].append(job)
                extra = min(self.fan_out.draw(rng.random(), 1) - 1, start - 1)
                for target in rng.sample(range(start - 1), extra) if extra > 0 else ():
                    upstream[target + (target >= primary)].append(job)
        return upstream

    def graph(self, rng: random.Random) -> NumberedGraph:
        """One flow's jobs as numbers (0 = the root, others numbered upstream-most first)."""
        sizes = _level_sizes(*self.dimensions(rng), rng)
        upstream = self._links(sizes, rng)
        number = [0] * len(upstream)
        order: list[int] = []
        end = len(upstream)
        for level in range(len(sizes) - 1, 0, -1):
            first = end - sizes[level]
            order.extend(range(first, end))
            end = first
        for n, flat in enumerate(order, start=1):
            number[flat] = n
        order.append(0)
        return [(number[flat], tuple(sorted(number[u] for u in upstream[flat]))) for flat in order]

    # ------------------------------------------------------------------ schedule, commands

    def cron(self, rng: random.Random) -> str | None:
        """A Quartz cron, or None for an unscheduled flow."""
        kind = self.schedule.draw(rng.random(), UNSCHEDULED)
        return None if kind == UNSCHEDULED else self.cadences.cron(kind, rng)

    def commands(self, rng: random.Random, jobs: int) -> list[str] | None:
        """One ``sleep`` command per job, or None when the profile has no job durations."""
        if self.durations is None:
            return None
        failing = rng.randrange(jobs) if rng.random() < self.flow_failure_rate else -1
        return [sleep_command(self.durations.seconds(rng), job == failing) for job in range(jobs)]


def _durations(profile: Profile) -> Durations | None:
    executions = profile.executions
    if executions is None or not executions.job_seconds:
        return None
    by_type = {job_type: q.values for job_type, q in executions.job_seconds}
    return Durations(
        probs=executions.quantile_probs,
        by_type=by_type,
        types=Labels.of([(t, float(n)) for t, n in profile.graphs.job_types]),
        fallback=executions.job_seconds[0][1].values,
    )


_synthesizers: dict[int, tuple[Profile, Synthesizer]] = {}


def synthesizer_for(path: str) -> Synthesizer:
    """The `Synthesizer` of the profile at ``path`` (loaded and built once per process)."""
    profile = load_profile(path)
    entry = _synthesizers.get(id(profile))
    if entry is None or entry[0] is not profile:
        if len(_synthesizers) >= 8:
            del _synthesizers[next(iter(_synthesizers))]
        entry = (profile, Synthesizer.of(profile))
        _synthesizers[id(profile)] = entry
    return entry[1]

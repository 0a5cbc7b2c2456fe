"""Synthesis: draw flow graphs, cron schedules and job commands from a profile.

A `Synthesizer` is built once per loaded profile (cumulative tables for every distribution it
draws from) and then draws one flow at a time from a caller's ``random.Random`` (the flows
package passes ``flow_rng(seed, index)``), so flow ``index`` is the same in every process.

Graph: a row of the joint (jobs, depth, max width) table by its count, its jobs and depth
drawn from the row's own distributions (fitted so that all rows give back the profile's
histograms), made feasible for a layered DAG with ONE sink (the root, level 0). An exact row
makes one level exactly its width; a coarsened row spreads its jobs over the levels at random
(`Shape`). Every job then wants a fan-out and a fan-in: those the shape fixes (the root's
degrees, level 1's fan-out, the top level's fan-in) and, for the others, what the profile's
``fan_out`` and ``fan_in`` leave once the fixed ones are taken out (`Degrees`). Links pair
adjacent levels first, so every job at level L >= 1 has a downstream job at L - 1 (its level
is exactly L), then match the fan-out left with the fan-in still wanted below (`_Wiring`).

Schedule: unscheduled, or a cadence class drawn with the profile's flow shares; its
parameters are drawn from that class's own distributions (daily flows' minute of day, hourly
flows' minute, weekly flows' minute of week, sub-hourly interval and offset, ``other``'s
days, hours, minutes), which is what brings the fire-time peaks back; an ``other`` cron of
fewer than seven days takes its days where the profile's week fires more (`_day_weights`).

Commands: with sampled job durations, each job draws a job type (the profile's shares) and a
duration from that type's quantiles (never above its maximum) and becomes
``sh -c 'sleep S'``; a flow fails, at the profile's flow failure rate, by one of its jobs
ending ``exit 1``. Without execution data the caller keeps its own command template.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from azkaban_seeder.profile.cadence import (
    MINUTES_PER_DAY,
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
    Graphs,
    Histogram,
    Profile,
)
from azkaban_seeder.profile.stats import pmf_from_histogram, quantile_at

UNSCHEDULED = "unscheduled"
DEFAULT_INTERVAL = 15
#: Flows of the shape table drawn (about; with a fixed seed) to measure the degrees the
#: shapes fix.
CALIBRATION_FLOWS = 20_000
CALIBRATION_SEED = 20_240_131
#: Draws that hit an already chosen downstream job before the next way of picking one (the
#: pool of wanted fan-ins, then any job below that wants a fan-in, then any job below).
MAX_MISSES = 4
#: Rounds of iterative proportional fitting of the shape rows' distributions.
SHAPE_FIT_ROUNDS = 30
#: Random spreads of a coarsened row's jobs tried for a width inside the row's widths.
SPREAD_TRIES = 4
#: Rounds correcting the free degrees by what the wiring made of the calibration sample.
DEGREE_FIT_ROUNDS = 1

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

    @classmethod
    def of_weights(cls, weights: Mapping[int, float]) -> Sampler:
        """A sampler of exact values with the given (non-negative) weights."""
        lows, cumulative, total = [], [], 0.0
        for value in sorted(weights):
            if weights[value] > 0:
                total += weights[value]
                lows.append(value)
                cumulative.append(total)
        return cls(tuple(lows), (1,) * len(lows), tuple(cumulative))

    @property
    def empty(self) -> bool:
        return not self.lows

    def weight_upto(self, cap: int) -> float:
        """The weight of the values <= ``cap``."""
        i = bisect.bisect_right(self.lows, cap) - 1
        if i < 0:
            return 0.0
        start = self.cumulative[i - 1] if i else 0.0
        inside = min(cap - self.lows[i] + 1, self.spans[i]) / self.spans[i]
        return start + (self.cumulative[i] - start) * inside

    def draw(self, u: float, default: int = 0, at_most: int | None = None) -> int:
        """The value at ``u`` in [0, 1) of the inverse CDF, conditioned on values <=
        ``at_most`` when given (``default`` when no value qualifies)."""
        total = self.cumulative[-1] if self.lows else 0.0
        if at_most is not None and self.lows:
            total = self.weight_upto(at_most)
        if total <= 0:
            return default
        target = u * total
        i = min(bisect.bisect_right(self.cumulative, target), len(self.lows) - 1)
        start = self.cumulative[i - 1] if i else 0.0
        width = self.cumulative[i] - start
        inside = (target - start) / width if width > 0 else 0.0
        value = self.lows[i] + min(int(inside * self.spans[i]), self.spans[i] - 1)
        return value if at_most is None else min(value, at_most)


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
    other_days: tuple[float, ...]

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
            other_days=_day_weights(profile),
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
        days = _weighted_days(self.other_days, self.days_per_week.draw(rng.random()), rng)
        return other_cron(cadence, days)


def _day_weights(profile: Profile) -> tuple[float, ...]:
    """How much each day of the week (0 = Sunday) fires above the quietest day, once the
    weekly flows' own fires are taken out: where ``other`` crons of fewer than seven days
    fire. Every-day classes (and seven-day crons) add the same to every day and cancel."""
    per_day = [0.0] * 7
    for minute, fires in pmf_from_histogram(profile.schedules.fires_per_week).items():
        per_day[minute // MINUTES_PER_DAY % 7] += fires
    for minute, flows in pmf_from_histogram(profile.schedules.weekly_minute).items():
        per_day[minute // MINUTES_PER_DAY % 7] -= flows
    quietest = min(per_day)
    return tuple(day - quietest for day in per_day)


def _weighted_days(weights: Sequence[float], count: int, rng: random.Random) -> list[int]:
    """``count`` distinct days drawn one by one with ``weights`` (uniformly among the days
    left once their weights are all 0)."""
    left = list(range(7))
    days: list[int] = []
    for _ in range(min(7, count)):
        cumulative = list(itertools.accumulate(weights[d] for d in left))
        if cumulative[-1] > 0:
            target = rng.random() * cumulative[-1]
            pick = min(bisect.bisect_right(cumulative, target), len(left) - 1)
        else:
            pick = rng.randrange(len(left))
        days.append(left.pop(pick))
    return days


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


def _spread(jobs: int, depth: int, rng: random.Random) -> list[int]:
    """Jobs per level (the root first): one job on every level, the others at random."""
    sizes = [1] * depth
    for _ in range(jobs - depth):
        sizes[1 + rng.randrange(depth - 1)] += 1
    return sizes


@dataclass(frozen=True)
class Shape:
    """One `shape_table` row: its flow count, its width range, and the distributions of its
    jobs, depth and max width inside its ranges (`_fitted`)."""

    count: int
    widths: tuple[int, int]
    jobs: Sampler
    depth: Sampler
    width: Sampler

    def level_sizes(self, rng: random.Random) -> list[int]:
        """Jobs per level (the root first) of one flow of this row.

        An exact row makes one level exactly its width. A coarsened row spans many widths,
        and a width drawn apart from the jobs and depth (a 30-job flow of depth 10 that is
        25 wide) makes shapes production hardly has: its jobs are spread over the levels at
        random, kept when the widest level falls inside the row's widths; after
        `SPREAD_TRIES` misses one level is made a drawn width, as for an exact row."""
        jobs = self.jobs.draw(rng.random(), 1)
        jobs, depth, _ = _feasible(jobs, self.depth.draw(rng.random(), 1), 1)
        lo, hi = self.widths
        for _ in range(SPREAD_TRIES if lo < hi and jobs > 1 else 0):
            sizes = _spread(jobs, depth, rng)
            if lo <= max(sizes[1:]) <= hi:
                return sizes
        width = _feasible(jobs, depth, self.width.draw(rng.random(), 1))[2]
        return _level_sizes(jobs, depth, width, rng)


def _fitted(
    ranges: Sequence[tuple[int, int]], counts: Sequence[int], hist: Histogram
) -> list[Sampler]:
    """Per row, a distribution over its range (inclusive) such that the rows together, each
    with its count, give back ``hist``: iterative proportional fitting, from uniform.

    A coarsened row spans values that exact rows already account for (a row of 5..114 jobs
    beside exact rows of 5, 6 and 7 jobs); drawn uniformly, or from ``hist`` cut to its
    range, its flows come out too big or too small, and with them every distribution counted
    in jobs (fan-in, fan-out)."""
    pmf = pmf_from_histogram(hist)
    rows = [dict.fromkeys(range(lo, hi + 1), 1.0 / (hi - lo + 1)) for lo, hi in ranges]
    for _ in range(SHAPE_FIT_ROUNDS):
        fitted: dict[int, float] = defaultdict(float)
        for count, row in zip(counts, rows, strict=True):
            for value, weight in row.items():
                fitted[value] += count * weight
        for row in rows:
            for value in row:
                row[value] *= pmf.get(value, 0.0) / fitted[value] if fitted[value] else 0.0
            total = sum(row.values())
            for value in row if total > 0 else ():
                row[value] /= total
    return [
        Sampler.of_weights(row) if any(row.values()) else Sampler((lo,), (hi - lo + 1,), (1.0,))
        for row, (lo, hi) in zip(rows, ranges, strict=True)
    ]


def _shapes(graphs: Graphs) -> tuple[Shape, ...]:
    rows = [r for r in graphs.shape_table if r.count > 0]
    counts = [r.count for r in rows]
    jobs = _fitted([r.jobs for r in rows], counts, graphs.jobs_per_flow)
    depth = _fitted([r.depth for r in rows], counts, graphs.depth)
    width = _fitted([r.width for r in rows], counts, graphs.max_width)
    return tuple(map(Shape, counts, [r.width for r in rows], jobs, depth, width))


#: A sample of a profile's flow shapes: (flows each stands for, jobs per level).
ShapeSample = list[tuple[float, list[int]]]


def _shape_sample(shapes: Sequence[Shape]) -> ShapeSample:
    """`CALIBRATION_FLOWS` flow shapes (about) drawn with a fixed seed, every row in
    proportion to its count (at least once), each weighted back to the row's count."""
    rng = random.Random(CALIBRATION_SEED)
    total = sum(row.count for row in shapes)
    sample: ShapeSample = []
    for row in shapes:
        draws = max(1, round(row.count * CALIBRATION_FLOWS / total))
        sample += [(row.count / draws, row.level_sizes(rng)) for _ in range(draws)]
    return sample


def _fixed_degrees(sample: ShapeSample) -> tuple[dict[int, float], dict[int, float]]:
    """(fan-out, fan-in) counts, weighted, of the jobs of ``sample`` whose degree the shape
    fixes: the root's fan-out is 0 and its fan-in the width of level 1 (a level-1 job can
    link only to the root); level-1 jobs have fan-out 1; top-level jobs (and the root of a
    single-job flow) have fan-in 0."""
    fan_out: dict[int, float] = defaultdict(float)
    fan_in: dict[int, float] = defaultdict(float)
    for weight, sizes in sample:
        fan_out[0] += weight
        if len(sizes) == 1:
            fan_in[0] += weight
            continue
        fan_out[1] += weight * sizes[1]
        fan_in[sizes[1]] += weight
        fan_in[0] += weight * sizes[-1]
    return fan_out, fan_in


def _scaled_pmf(hist: Histogram, jobs: float) -> dict[int, float]:
    """``hist`` as weights per value, scaled to ``jobs`` in all ({} when it is empty)."""
    pmf = pmf_from_histogram(hist)
    total = sum(pmf.values())
    return {v: w * jobs / total for v, w in pmf.items()} if total > 0 else {}


def _free(hist: Histogram, jobs: float, fixed: Mapping[int, float], low: int) -> dict[int, float]:
    """What ``hist`` (scaled to ``jobs``) leaves once the ``fixed`` degrees are taken out,
    over values >= ``low``."""
    scaled = _scaled_pmf(hist, jobs)
    return {v: max(0.0, w - fixed.get(v, 0.0)) for v, w in scaled.items() if v >= low}


def _corrected(
    free: Mapping[int, float], hist: Histogram, realized: Mapping[int, float]
) -> dict[int, float]:
    """``free`` times, per value, ``hist`` (scaled to as many jobs) over ``realized``."""
    target = _scaled_pmf(hist, sum(realized.values()))
    return {
        v: w * target.get(v, 0.0) / realized[v] if realized.get(v, 0.0) > 0 else w
        for v, w in free.items()
    }


@dataclass(frozen=True)
class Degrees:
    """The degrees the layered shape leaves free, and the wiring of one flow's links.

    ``out``: the fan-out of jobs on level 2 and up (values >= 1); ``in_``: the fan-in wanted
    by jobs between the root and the top level. The profile's ``fan_out`` and ``fan_in``
    count every node, those whose degree the shape fixes too (`_fixed_degrees`); drawn as
    they are, the free jobs would count those values twice (far too many fan-outs of 1, the
    miss of the first synthesis). `of` takes the fixed degrees of the synthesizer's own
    shapes (a fixed-seed sample of them) out of the profile's counts and keeps the rest;
    then, as the wiring cannot always give a job the fan-in it wants (too few links from
    above), it wires the sample and multiplies each free value's weight by the profile's
    count of that value over the count made (`DEGREE_FIT_ROUNDS` times)."""

    out: Sampler
    in_: Sampler

    @classmethod
    def of(cls, profile: Profile, shapes: Sequence[Shape]) -> Degrees:
        if not shapes:
            return cls(Sampler.of_weights({}), Sampler.of_weights({}))
        g = profile.graphs
        sample = _shape_sample(shapes)
        fixed_out, fixed_in = _fixed_degrees(sample)
        jobs = sum(weight * sum(sizes) for weight, sizes in sample)
        free_out, free_in = _free(g.fan_out, jobs, fixed_out, 1), _free(g.fan_in, jobs, fixed_in, 0)
        degrees = cls(Sampler.of_weights(free_out), Sampler.of_weights(free_in))
        for _ in range(DEGREE_FIT_ROUNDS):
            made_out, made_in = degrees.realized(sample)
            free_out = _corrected(free_out, g.fan_out, made_out)
            free_in = _corrected(free_in, g.fan_in, made_in)
            degrees = cls(Sampler.of_weights(free_out), Sampler.of_weights(free_in))
        return degrees

    def realized(self, sample: ShapeSample) -> tuple[dict[int, float], dict[int, float]]:
        """(fan-out, fan-in) counts, weighted, of every job of ``sample`` once linked."""
        rng = random.Random(CALIBRATION_SEED)
        fan_out: dict[int, float] = defaultdict(float)
        fan_in: dict[int, float] = defaultdict(float)
        for weight, sizes in sample:
            upstream = self.links(sizes, rng)
            downstream: dict[int, int] = defaultdict(int)
            for jobs in upstream:
                for job in jobs:
                    downstream[job] += 1
            for flat, jobs in enumerate(upstream):
                fan_in[len(jobs)] += weight
                fan_out[downstream[flat]] += weight
        return fan_out, fan_in

    def links(self, sizes: list[int], rng: random.Random) -> list[list[int]]:
        """Upstream flat indexes of every job (flat index = position by level, root first):
        every job's fan-out drawn (`wanted`), then linked by `_Wiring`."""
        starts = [0]
        for size in sizes:
            starts.append(starts[-1] + size)
        if len(sizes) == 1:
            return [[]]
        wiring = _Wiring(starts, *self.wanted(starts, rng), rng)
        for level in range(1, len(sizes)):
            wiring.cover(level)
        pool: list[int] = []
        for level in range(1, len(sizes)):
            pool += wiring.stubs(level - 1, wiring.fan_in)
            wiring.extras(level, pool)
        return wiring.upstream

    def wanted(self, starts: list[int], rng: random.Random) -> tuple[list[int], list[int]]:
        """(fan-out, fan-in) wanted by every job. The root: fan-out 0, fan-in the width of
        level 1; level 1: fan-out 1; the top level: fan-in 0; the others drawn from ``out``
        and ``in_``, never more than the jobs below (fan-out) or above (fan-in) them."""
        jobs = starts[-1]
        fan_out, fan_in = [1] * jobs, [0] * jobs
        fan_out[0], fan_in[0] = 0, starts[2] - starts[1]
        for level in range(2, len(starts) - 1):
            for job in range(starts[level], starts[level + 1]):
                fan_out[job] = self.out.draw(rng.random(), 1, at_most=starts[level])
        for level in range(1, len(starts) - 2):
            above = jobs - starts[level + 1]
            for job in range(starts[level], starts[level + 1]):
                fan_in[job] = self.in_.draw(rng.random(), 1, at_most=above)
        return fan_out, fan_in


def _take(pool: list[int], rng: random.Random) -> int:
    """Remove and return a random element of ``pool`` (O(1): the last one fills its slot)."""
    i = rng.randrange(len(pool))
    pool[i], pool[-1] = pool[-1], pool[i]
    return pool.pop()


class _Wiring:
    """One flow's links being drawn (jobs by flat index: by level, the root first): the
    fan-out and fan-in each job still wants, and the links made so far.

    `cover` links each pair of adjacent levels first, so that every job has a downstream job
    one level down (which makes its level exact) and every job there that wants a fan-in
    gets an upstream job: paired at random, the rest of the larger side each taking a
    partner by the other side's remaining wants. `extras` then matches, level by level from
    the bottom, the fan-out left with the fan-in still wanted below (a configuration model:
    one pool entry per wanted link, taken at random), uniformly among the jobs below once
    the pool runs dry. O(links)."""

    def __init__(
        self, starts: list[int], fan_out: list[int], fan_in: list[int], rng: random.Random
    ) -> None:
        self.starts, self.rng = starts, rng
        self.fan_out, self.fan_in = fan_out, fan_in
        self.downstream: list[list[int]] = [[] for _ in fan_out]
        self.upstream: list[list[int]] = [[] for _ in fan_out]
        #: The jobs that want a fan-in at all, by flat index (sources stay sources).
        self.receivers = [job for job, wanted in enumerate(fan_in) if wanted > 0]

    def any_receiver(self, first: int, end: int) -> int:
        """A random job in ``first..end - 1`` that wants a fan-in (any job there if none)."""
        lo = bisect.bisect_left(self.receivers, first)
        hi = bisect.bisect_left(self.receivers, end)
        if lo == hi:
            return self.rng.randrange(first, end)
        return self.receivers[self.rng.randrange(lo, hi)]

    def jobs(self, level: int) -> range:
        return range(self.starts[level], self.starts[level + 1])

    def stubs(self, level: int, wanted: list[int]) -> list[int]:
        """Each job of ``level`` once per link it still wants."""
        return [job for job in self.jobs(level) for _ in range(wanted[job])]

    def live(self, stubs: list[int], wanted: list[int]) -> int | None:
        """A random entry of ``stubs`` whose job still wants a link (stale ones dropped)."""
        while stubs:
            job = _take(stubs, self.rng)
            if wanted[job] > 0:
                return job
        return None

    def link(self, job: int, target: int) -> None:
        self.downstream[job].append(target)
        self.upstream[target].append(job)
        self.fan_out[job] -= 1
        self.fan_in[target] -= 1

    def cover(self, level: int) -> None:
        rng = self.rng
        upper = list(self.jobs(level))
        lower = [job for job in self.jobs(level - 1) if self.fan_in[job] > 0]
        rng.shuffle(upper)
        rng.shuffle(lower)
        in_stubs = self.stubs(level - 1, self.fan_in)
        out_stubs = self.stubs(level, self.fan_out)
        for job, target in zip(upper, lower, strict=False):
            self.link(job, target)
        for job in upper[len(lower) :]:
            wanting = self.live(in_stubs, self.fan_in)
            if wanting is None:
                wanting = self.any_receiver(self.starts[level - 1], self.starts[level])
            self.link(job, wanting)
        for target in lower[len(upper) :]:
            source = self.live(out_stubs, self.fan_out)
            self.link(rng.choice(upper) if source is None else source, target)

    def extras(self, level: int, pool: list[int]) -> None:
        below = self.starts[level]
        for job in self.jobs(level):
            chosen, misses = self.downstream[job], 0
            while self.fan_out[job] > 0:
                target = self.live(pool, self.fan_in) if misses < MAX_MISSES else None
                if target is None:
                    misses = max(misses, MAX_MISSES)
                    uniform = misses >= 2 * MAX_MISSES
                    target = self.rng.randrange(below) if uniform else self.any_receiver(0, below)
                if target not in chosen:
                    self.link(job, target)
                    continue
                if misses < MAX_MISSES:
                    pool.append(target)
                misses += 1


@dataclass(frozen=True)
class Synthesizer:
    """Everything precomputed to draw flows from one profile."""

    shapes: tuple[Shape, ...]
    shape_cumulative: tuple[int, ...]
    degrees: Degrees
    schedule: Labels
    cadences: CadenceSamplers
    durations: Durations | None
    flow_failure_rate: float

    @classmethod
    def of(cls, profile: Profile) -> Synthesizer:
        rows = _shapes(profile.graphs)
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
            degrees=Degrees.of(profile, rows),
            schedule=Labels.of(weights),
            cadences=CadenceSamplers.of(profile),
            durations=_durations(profile),
            flow_failure_rate=executions.flow_failure_rate if executions else 0.0,
        )

    # ------------------------------------------------------------------ graph

    def level_sizes(self, rng: random.Random) -> list[int]:
        """Jobs per level (the root first) of a flow of a row drawn by its count ([1] if
        the table is empty)."""
        if not self.shapes:
            return [1]
        target = rng.random() * self.shape_cumulative[-1]
        i = min(bisect.bisect_right(self.shape_cumulative, target), len(self.shapes) - 1)
        return self.shapes[i].level_sizes(rng)

    def graph(self, rng: random.Random) -> NumberedGraph:
        """One flow's jobs as numbers (0 = the root, others numbered upstream-most first)."""
        sizes = self.level_sizes(rng)
        upstream = self.degrees.links(sizes, rng)
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

"""Graph synthesis: the layered, one-sink DAG of each flow drawn from a profile's graph tables.

Shapes conditioned on size (`Shape`, `shapes_of`): a row of the joint (jobs, depth, max width)
table is drawn by its count, and its jobs and depth from the row's own distributions, fitted
(iterative proportional fitting, `_fitted`) so that all rows together give back the profile's
``jobs_per_flow``, ``depth`` and ``max_width`` histograms; the result is made feasible for a
layered DAG with ONE sink (the root, level 0). An exact row makes one level exactly its
width; a coarsened row spreads its jobs over the levels at random.

Degrees without the shape's fixed ones (`Degrees`): every job wants a fan-out and a fan-in.
The shape fixes some (the root's degrees, level 1's fan-out, the top level's fan-in); the
others are drawn from what the profile's ``fan_out`` and ``fan_in`` leave once those fixed
ones, measured on a fixed-seed sample of the shapes (`CALIBRATION_FLOWS`), are taken out.

Configuration-model wiring (`_Wiring`): links pair adjacent levels first, so every job at
level L >= 1 has a downstream job at L - 1 (its level is exactly L), then match the fan-out
left with the fan-in still wanted below, one pool entry per wanted link, taken at random.

`Sampler` (integers from a histogram or from weights) is the draw every distribution here,
and the schedule parameters of `azkaban_seeder.profile.synth`, go through.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from azkaban_seeder.profile.model import Graphs, Histogram, Profile
from azkaban_seeder.profile.stats import pmf_from_histogram

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


def shapes_of(graphs: Graphs) -> tuple[Shape, ...]:
    """The `Shape` of every row of ``graphs.shape_table`` that stands for any flow, its jobs,
    depth and width distributions fitted together (`_fitted`)."""
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

"""Synthesis: draw flow graphs, cron schedules and job commands from a profile.

A `Synthesizer` is built once per loaded profile (cumulative tables for every distribution it
draws from) and then draws one flow at a time from a caller's ``random.Random`` (the flows
package passes ``flow_rng(seed, index)``), so flow ``index`` is the same in every process.

Graph: a row of the shape table by its count, then its jobs per level and every job's links,
drawn by `azkaban_seeder.profile.graphs` (shapes conditioned on size, degrees without the
shape's fixed ones, configuration-model wiring); this module numbers the jobs.

Schedule: unscheduled, or a cadence class drawn with the profile's flow shares; its
parameters are drawn from that class's own distributions (daily flows' minute of day, hourly
flows' minute, weekly flows' minute of week, sub-hourly interval and offset, ``other``'s
days, hours, minutes), which is what brings the fire-time peaks back; an ``other`` cron of
fewer than seven days takes its days where the profile's week fires more (`_day_weights`).

Commands: with sampled job durations, each job draws a job type (the profile's shares) and a
duration from that type's quantiles (never above its maximum) and becomes
``sh -c 'sleep S'``; a flow fails, at the profile's flow failure rate, by one of its jobs
ending ``exit 1``. Without execution data the caller keeps its own command template.

`Sampler` lives in `graphs` and is imported here (the schedule samplers use it too), so
``from azkaban_seeder.profile.synth import Sampler`` keeps working.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence
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
from azkaban_seeder.profile.graphs import Degrees, Sampler, Shape, shapes_of
from azkaban_seeder.profile.jsonfile import load_profile
from azkaban_seeder.profile.model import CADENCE_CLASSES, OTHER, Profile
from azkaban_seeder.profile.stats import pmf_from_histogram, quantile_at

UNSCHEDULED = "unscheduled"
DEFAULT_INTERVAL = 15

#: ``(job number, upstream job numbers)`` in topological order; 0 is the root, listed last.
NumberedGraph = list[tuple[int, tuple[int, ...]]]


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
        rows = shapes_of(profile.graphs)
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

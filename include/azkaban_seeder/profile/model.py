"""The profile: frozen records of production's distributions, and their JSON form.

A profile holds distributions only, never names: no project, flow or job names, no commands,
no properties, no users. Every record here maps one-to-one onto a part of the JSON file
(``docs/profile-format.md`` documents it field by field); `profile_to_dict` writes it and
`azkaban_seeder.profile.jsonfile.load_profile` reads and validates it.

Numeric distributions are `Histogram` s: sorted, disjoint `RangeBin` s ``[lo, hi, count]``
over integers. A bin with ``lo == hi`` is an exact value; a range bin is what k-anonymity
merging left of several small bins, and synthesis draws uniformly inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROFILE_FORMAT = "azkaban-seeder-profile"
SCHEMA_VERSION = 1

#: Cadence classes of a schedule, in the order the file and the reports list them.
CADENCE_CLASSES = ("sub_hourly", "hourly", "daily", "weekly", "other")
#: Flow formats; the read API does not tell 1.0 from 2.0 unless an embedded flow proves 2.0.
FLOW_FORMATS = ("1.0", "2.0", "unknown")
#: The catch-all label small categories are merged into (job types, cadence classes).
OTHER = "other"
#: Probabilities at which duration quantiles are kept (0 = minimum, 1 = maximum).
QUANTILE_PROBS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
HOURS_PER_WEEK = 168


@dataclass(frozen=True)
class RangeBin:
    """``count`` observations whose value lies in ``lo..hi`` (inclusive); exact when equal."""

    lo: int
    hi: int
    count: int


@dataclass(frozen=True)
class Histogram:
    """A numeric distribution over integers: sorted, disjoint bins (zero bins left out)."""

    bins: tuple[RangeBin, ...] = ()

    @property
    def total(self) -> int:
        return sum(b.count for b in self.bins)

    @property
    def maximum(self) -> int:
        return self.bins[-1].hi if self.bins else 0


@dataclass(frozen=True)
class ShapeRow:
    """One row of the joint (jobs, depth, max width) table: ``count`` flows inside the ranges.

    Rows of fewer than k flows are coarsened (their ranges widened and merged), so an exact row
    (every ``lo == hi``) always stands for at least k flows."""

    jobs: tuple[int, int]
    depth: tuple[int, int]
    width: tuple[int, int]
    count: int


@dataclass(frozen=True)
class Thresholds:
    """Pass marks of a likeness report (taken from the SOURCE profile's options)."""

    ks: float = 0.05
    js: float = 0.05
    top_minutes_rel: float = 0.10
    top_minutes_n: int = 10


@dataclass(frozen=True)
class ProfileOptions:
    """How the profile was made: k (the smallest bin kept), the crawl's history window and
    execution cap, and the likeness thresholds its reports use."""

    k: int = 5
    history_days: int = 30
    max_executions_per_flow: int = 20
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class Counts:
    """Totals (never merged): projects, top-level flows, scheduled flows, sampled executions."""

    projects: int
    flows: int
    scheduled_flows: int
    executions_sampled: int


@dataclass(frozen=True)
class Graphs:
    """Flow graph distributions (top-level graph; embedded flow nodes count as one node).

    ``level_width`` holds the width of every level of every flow, ``fan_in``/``fan_out`` the
    direct upstream/downstream count of every node. ``job_types`` and ``flow_formats`` are
    ``(label, count)`` pairs, most common first for job types, `FLOW_FORMATS` order for
    formats."""

    flows_per_project: Histogram
    jobs_per_flow: Histogram
    depth: Histogram
    max_width: Histogram
    level_width: Histogram
    fan_in: Histogram
    fan_out: Histogram
    embedded_flows: Histogram
    embedded_depth: Histogram
    shape_table: tuple[ShapeRow, ...]
    job_types: tuple[tuple[str, int], ...]
    flow_formats: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class SubHourly:
    """Every-``interval``-minutes schedules (``0 offset/interval * ? * *``)."""

    interval: Histogram = Histogram()
    offset: Histogram = Histogram()


@dataclass(frozen=True)
class OtherCadence:
    """Schedules of no simple class, by four marginals: days with fires in the reference
    week (0 = none, e.g. monthly), distinct fire hours on a firing day, distinct fire minutes
    in a firing hour, and the minute of day of a day's first fire."""

    days_per_week: Histogram = Histogram()
    hours_per_day: Histogram = Histogram()
    fires_per_hour: Histogram = Histogram()
    minute_of_day: Histogram = Histogram()


@dataclass(frozen=True)
class Schedules:
    """Cron schedules: flows per cadence class, each class's parameters, and the fire-time
    histogram (minute of the week, 0 = Sunday 00:00 server time -> fires per week)."""

    cadences: tuple[tuple[str, int], ...]
    sub_hourly: SubHourly
    hourly_minute: Histogram
    daily_minute: Histogram
    weekly_minute: Histogram
    other: OtherCadence
    fires_per_week: Histogram

    @property
    def cadence_total(self) -> int:
        return sum(n for _, n in self.cadences)


@dataclass(frozen=True)
class Quantiles:
    """``values[i]`` is the ``QUANTILE_PROBS[i]`` quantile (seconds) of ``count`` samples."""

    count: int
    values: tuple[float, ...]

    @property
    def maximum(self) -> float:
        return self.values[-1]


@dataclass(frozen=True)
class Executions:
    """Sampled executions: durations, failure rates and concurrency by hour of week (UTC,
    hour 0 = Sunday 00:00; mean running flows of the sample, a lower bound)."""

    flow_seconds: Quantiles | None
    job_seconds: tuple[tuple[str, Quantiles], ...]
    flow_failure_rate: float
    job_failure_rate: float
    concurrency_by_hour: tuple[float, ...]
    quantile_probs: tuple[float, ...] = QUANTILE_PROBS


@dataclass(frozen=True)
class Profile:
    """One production profile (``complete`` is implied: partial crawls are never written)."""

    created: str
    options: ProfileOptions
    counts: Counts
    graphs: Graphs
    schedules: Schedules
    executions: Executions | None = None


# --------------------------------------------------------------------------- JSON form


def histogram_to_json(hist: Histogram) -> list[list[int]]:
    return [[b.lo, b.hi, b.count] for b in hist.bins]


def _options_to_dict(options: ProfileOptions) -> dict[str, Any]:
    t = options.thresholds
    return {
        "k": options.k,
        "history_days": options.history_days,
        "max_executions_per_flow": options.max_executions_per_flow,
        "thresholds": {
            "ks": t.ks,
            "js": t.js,
            "top_minutes_rel": t.top_minutes_rel,
            "top_minutes_n": t.top_minutes_n,
        },
    }


def _graphs_to_dict(g: Graphs) -> dict[str, Any]:
    numeric = {
        "flows_per_project": g.flows_per_project,
        "jobs_per_flow": g.jobs_per_flow,
        "depth": g.depth,
        "max_width": g.max_width,
        "level_width": g.level_width,
        "fan_in": g.fan_in,
        "fan_out": g.fan_out,
        "embedded_flows": g.embedded_flows,
        "embedded_depth": g.embedded_depth,
    }
    out: dict[str, Any] = {key: histogram_to_json(h) for key, h in numeric.items()}
    out["shape_table"] = [[*r.jobs, *r.depth, *r.width, r.count] for r in g.shape_table]
    out["job_types"] = [[label, n] for label, n in g.job_types]
    out["flow_formats"] = dict(g.flow_formats)
    return out


def _schedules_to_dict(s: Schedules) -> dict[str, Any]:
    return {
        "cadences": dict(s.cadences),
        "sub_hourly": {
            "interval": histogram_to_json(s.sub_hourly.interval),
            "offset": histogram_to_json(s.sub_hourly.offset),
        },
        "hourly": {"minute": histogram_to_json(s.hourly_minute)},
        "daily": {"minute_of_day": histogram_to_json(s.daily_minute)},
        "weekly": {"minute_of_week": histogram_to_json(s.weekly_minute)},
        "other": {
            "days_per_week": histogram_to_json(s.other.days_per_week),
            "hours_per_day": histogram_to_json(s.other.hours_per_day),
            "fires_per_hour": histogram_to_json(s.other.fires_per_hour),
            "minute_of_day": histogram_to_json(s.other.minute_of_day),
        },
        "fires_per_week": histogram_to_json(s.fires_per_week),
    }


def _quantiles_to_dict(q: Quantiles) -> dict[str, Any]:
    return {"count": q.count, "values": list(q.values)}


def _executions_to_dict(e: Executions | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "quantile_probs": list(e.quantile_probs),
        "flow_seconds": None if e.flow_seconds is None else _quantiles_to_dict(e.flow_seconds),
        "job_seconds": [{"type": t, **_quantiles_to_dict(q)} for t, q in e.job_seconds],
        "flow_failure_rate": e.flow_failure_rate,
        "job_failure_rate": e.job_failure_rate,
        "concurrency_by_hour": list(e.concurrency_by_hour),
    }


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The JSON document of ``profile`` (see ``docs/profile-format.md``)."""
    c = profile.counts
    return {
        "format": PROFILE_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "complete": True,
        "created": profile.created,
        "options": _options_to_dict(profile.options),
        "counts": {
            "projects": c.projects,
            "flows": c.flows,
            "scheduled_flows": c.scheduled_flows,
            "executions_sampled": c.executions_sampled,
        },
        "graphs": _graphs_to_dict(profile.graphs),
        "schedules": _schedules_to_dict(profile.schedules),
        "executions": _executions_to_dict(profile.executions),
    }

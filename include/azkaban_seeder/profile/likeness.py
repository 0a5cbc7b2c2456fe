"""Likeness: how closely a target profile (a built test environment) matches its source.

`compare` measures every distribution both profiles hold:

- numeric (jobs per flow, depth, max width, level width, fan-in, fan-out, embedded flows,
  fire minute of the day, flow duration): Kolmogorov-Smirnov distance, with the Wasserstein
  (earth mover's) distance alongside in the values' own units;
- categorical (scheduled share, cadence classes, job types, flow formats): Jensen-Shannon
  divergence, base 2, in [0, 1];
- the source's top-N fire minutes of the week: each minute's share of all fires in the source
  vs the target; it passes when every relative difference is within ``top_minutes_rel``.

Pass marks come from the SOURCE profile's options. The verdict (`LikenessReport.passed`) is
every compared distribution passing, the six graph distributions included: synthesis draws
fan-out and fan-in from the profile too (docs/profile-format.md, "Likeness"). A distribution
one side lacks, or that synthesis by design does not reproduce (every job is
``type=command``, no embedded flows), or that the spec fixes (one flow format per
environment), is reported "not compared" with the reason, and does not fail the report.
Flows per project are never compared: the spec's ``flows_per_project`` sets them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azkaban_seeder.profile.cadence import fires_by_minute_of_day, minute_label
from azkaban_seeder.profile.model import Counts, Histogram, Profile, Thresholds
from azkaban_seeder.profile.stats import (
    js_divergence,
    ks_quantiles,
    ks_statistic,
    pmf_from_histogram,
    wasserstein,
    wasserstein_quantiles,
)

LIKENESS_FORMAT = "azkaban-seeder-likeness"
LIKENESS_SCHEMA_VERSION = 1
COMMAND_TYPE = "command"
KNOWN_FORMATS = ("1.0", "2.0")

NUMERIC: tuple[tuple[str, Callable[[Profile], Histogram]], ...] = (
    ("jobs_per_flow", lambda p: p.graphs.jobs_per_flow),
    ("depth", lambda p: p.graphs.depth),
    ("max_width", lambda p: p.graphs.max_width),
    ("level_width", lambda p: p.graphs.level_width),
    ("fan_in", lambda p: p.graphs.fan_in),
    ("fan_out", lambda p: p.graphs.fan_out),
)


@dataclass(frozen=True)
class TopMinute:
    """One of the source's busiest fire minutes: both sides' share of all fires there."""

    minute_of_week: int
    source_share: float
    target_share: float

    @property
    def relative_difference(self) -> float:
        return abs(self.target_share - self.source_share) / self.source_share

    @property
    def label(self) -> str:
        return minute_label(self.minute_of_week)

    def to_dict(self) -> dict[str, Any]:
        return {
            "minute_of_week": self.minute_of_week,
            "label": self.label,
            "source_share": self.source_share,
            "target_share": self.target_share,
            "relative_difference": self.relative_difference,
        }


@dataclass(frozen=True)
class Comparison:
    """One distribution's result; ``passed`` is None when it was not compared (``reason``)."""

    name: str
    metric: str
    value: float | None = None
    threshold: float | None = None
    passed: bool | None = None
    wasserstein: float | None = None
    reason: str = ""
    top_minutes: tuple[TopMinute, ...] = ()

    @property
    def compared(self) -> bool:
        return self.passed is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "distribution": self.name,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "result": "not compared"
            if self.passed is None
            else ("pass" if self.passed else "fail"),
        }
        if self.wasserstein is not None:
            out["wasserstein"] = self.wasserstein
        if self.reason:
            out["reason"] = self.reason
        if self.top_minutes:
            out["top_minutes"] = [m.to_dict() for m in self.top_minutes]
        return out


def _not_compared(name: str, metric: str, reason: str) -> Comparison:
    return Comparison(name, metric, reason=reason)


def _scored(
    name: str, metric: str, value: float, threshold: float, w1: float | None = None
) -> Comparison:
    return Comparison(name, metric, value, threshold, value <= threshold, w1)


@dataclass(frozen=True)
class LikenessReport:
    """Every comparison of one source/target pair, with the thresholds used."""

    thresholds: Thresholds
    source: Counts
    target: Counts
    comparisons: tuple[Comparison, ...]

    @property
    def passed(self) -> bool:
        """True when at least one distribution was compared and every compared one passed."""
        compared = [c for c in self.comparisons if c.compared]
        return bool(compared) and all(c.passed for c in compared)

    def get(self, name: str) -> Comparison:
        for comparison in self.comparisons:
            if comparison.name == name:
                return comparison
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        t = self.thresholds
        return {
            "format": LIKENESS_FORMAT,
            "schema_version": LIKENESS_SCHEMA_VERSION,
            "passed": self.passed,
            "thresholds": {
                "ks": t.ks,
                "js": t.js,
                "top_minutes_rel": t.top_minutes_rel,
                "top_minutes_n": t.top_minutes_n,
            },
            "source": _counts_dict(self.source),
            "target": _counts_dict(self.target),
            "comparisons": [c.to_dict() for c in self.comparisons],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"

    def render_text(self) -> str:
        """A fixed-width table, then the top fire minutes, for terminals and logs."""
        return render_text(self)


def _counts_dict(c: Counts) -> dict[str, int]:
    return {
        "projects": c.projects,
        "flows": c.flows,
        "scheduled_flows": c.scheduled_flows,
        "executions_sampled": c.executions_sampled,
    }


# --------------------------------------------------------------------------- numeric


def _numeric(name: str, source: Histogram, target: Histogram, t: Thresholds) -> Comparison:
    if source.total == 0 or target.total == 0:
        side = "source" if source.total == 0 else "target"
        return _not_compared(name, "ks", f"the {side} profile holds no {name} data")
    p, q = pmf_from_histogram(source), pmf_from_histogram(target)
    return _scored(name, "ks", ks_statistic(p, q), t.ks, wasserstein(p, q))


def _embedded(source: Profile, target: Profile, t: Thresholds) -> Comparison:
    name = "embedded_flows"
    src, dst = source.graphs.embedded_flows, target.graphs.embedded_flows
    target_has = any(b.hi > 0 for b in dst.bins)
    if src.total and any(b.hi > 0 for b in src.bins) and not target_has:
        return _not_compared(name, "ks", "synthesis writes no embedded flows")
    return _numeric(name, src, dst, t)


def _fire_minutes(profile: Profile) -> dict[int, float]:
    return pmf_from_histogram(profile.schedules.fires_per_week)


def _fire_minute_of_day(source: Profile, target: Profile, t: Thresholds) -> Comparison:
    name = "fire_minute_of_day"
    src, dst = _fire_minutes(source), _fire_minutes(target)
    if not src or not dst:
        side = "source" if not src else "target"
        return _not_compared(name, "ks", f"the {side} profile has no schedule fires")
    p, q = fires_by_minute_of_day(src), fires_by_minute_of_day(dst)
    return _scored(name, "ks", ks_statistic(p, q), t.ks, wasserstein(p, q))


def _flow_seconds(source: Profile, target: Profile, t: Thresholds) -> Comparison:
    name = "flow_seconds"
    sq = source.executions.flow_seconds if source.executions else None
    tq = target.executions.flow_seconds if target.executions else None
    if sq is None or tq is None:
        side = "source" if sq is None else "target"
        return _not_compared(
            name, "ks", f"the {side} profile has no flow durations (no sampled executions)"
        )
    assert source.executions is not None and target.executions is not None
    sp, tp = source.executions.quantile_probs, target.executions.quantile_probs
    value = ks_quantiles(sp, sq.values, tp, tq.values)
    return _scored(name, "ks", value, t.ks, wasserstein_quantiles(sp, sq.values, tp, tq.values))


# --------------------------------------------------------------------------- categorical


def _categorical(
    name: str, source: dict[str, float], target: dict[str, float], t: Thresholds
) -> Comparison:
    if sum(source.values()) <= 0 or sum(target.values()) <= 0:
        side = "source" if sum(source.values()) <= 0 else "target"
        return _not_compared(name, "js", f"the {side} profile holds no {name} data")
    return _scored(name, "js", js_divergence(source, target), t.js)


def _scheduled_share(profile: Profile) -> dict[str, float]:
    c = profile.counts
    return {"scheduled": c.scheduled_flows, "unscheduled": c.flows - c.scheduled_flows}


def _job_types(source: Profile, target: Profile, t: Thresholds) -> Comparison:
    src = {label: float(n) for label, n in source.graphs.job_types}
    dst = {label: float(n) for label, n in target.graphs.job_types}
    if set(dst) == {COMMAND_TYPE} and set(src) - {COMMAND_TYPE}:
        return _not_compared(
            "job_types", "js", "synthesis writes every job as type=command (types set durations)"
        )
    return _categorical("job_types", src, dst, t)


def _flow_formats(source: Profile, target: Profile, t: Thresholds) -> Comparison:
    src = {f: float(n) for f, n in source.graphs.flow_formats if f in KNOWN_FORMATS}
    dst = {f: float(n) for f, n in target.graphs.flow_formats if f in KNOWN_FORMATS}
    if not sum(src.values()) or not sum(dst.values()):
        return _not_compared("flow_formats", "js", "flow formats unknown on one side")
    if sum(1 for n in dst.values() if n) == 1 and sum(1 for n in src.values() if n) > 1:
        return _not_compared("flow_formats", "js", "the spec builds every flow in one flow_format")
    return _categorical("flow_formats", src, dst, t)


# --------------------------------------------------------------------------- top minutes


def _top_minutes(source: Profile, target: Profile, t: Thresholds) -> Comparison:
    name = "top_fire_minutes"
    src, dst = _fire_minutes(source), _fire_minutes(target)
    if not src or not dst:
        side = "source" if not src else "target"
        return _not_compared(name, "top_minutes_rel", f"the {side} profile has no schedule fires")
    src_total, dst_total = sum(src.values()), sum(dst.values())
    top = sorted(src, key=lambda m: (-src[m], m))[: t.top_minutes_n]
    minutes = tuple(
        TopMinute(m, src[m] / src_total, dst.get(m, 0.0) / dst_total) for m in sorted(top)
    )
    worst = max(m.relative_difference for m in minutes)
    return Comparison(
        name,
        "top_minutes_rel",
        worst,
        t.top_minutes_rel,
        worst <= t.top_minutes_rel,
        top_minutes=minutes,
    )


# --------------------------------------------------------------------------- entry point


def compare(source: Profile, target: Profile) -> LikenessReport:
    """Compare ``target`` with ``source`` against the source's thresholds."""
    t = source.options.thresholds
    comparisons = [_numeric(name, get(source), get(target), t) for name, get in NUMERIC]
    comparisons += [
        _embedded(source, target, t),
        _fire_minute_of_day(source, target, t),
        _flow_seconds(source, target, t),
        _categorical("scheduled_share", _scheduled_share(source), _scheduled_share(target), t),
        _categorical(
            "cadence_classes",
            {k: float(n) for k, n in source.schedules.cadences},
            {k: float(n) for k, n in target.schedules.cadences},
            t,
        ),
        _job_types(source, target, t),
        _flow_formats(source, target, t),
        _top_minutes(source, target, t),
    ]
    return LikenessReport(t, source.counts, target.counts, tuple(comparisons))


# --------------------------------------------------------------------------- text


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _result(c: Comparison) -> str:
    if c.passed is None:
        return "not compared"
    return "pass" if c.passed else "FAIL"


def render_text(report: LikenessReport) -> str:
    compared = [c for c in report.comparisons if c.compared]
    failed = [c for c in compared if not c.passed]
    lines = [
        f"likeness: {'PASS' if report.passed else 'FAIL'} ({len(compared)} compared, "
        f"{len(failed)} failed, {len(report.comparisons) - len(compared)} not compared)",
        f"source: {report.source.flows} flows, {report.source.scheduled_flows} scheduled; "
        f"target: {report.target.flows} flows, {report.target.scheduled_flows} scheduled",
        "",
        f"{'distribution':20} {'metric':15} {'value':>8} {'threshold':>9}  {'result':12} notes",
    ]
    for c in report.comparisons:
        notes = c.reason or ("" if c.wasserstein is None else f"wasserstein {c.wasserstein:.4g}")
        lines.append(
            f"{c.name:20} {c.metric:15} {_fmt(c.value):>8} {_fmt(c.threshold):>9}  "
            f"{_result(c):12} {notes}".rstrip()
        )
    for c in report.comparisons:
        if c.top_minutes:
            lines += ["", "top fire minutes of the source (share of all fires):"]
            lines += [
                f"  {m.label}  source {m.source_share:7.3%}  target {m.target_share:7.3%}  "
                f"difference {m.relative_difference:6.1%}"
                for m in c.top_minutes
            ]
    return "\n".join(lines) + "\n"

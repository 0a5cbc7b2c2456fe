"""A PNG chart of a likeness report: production (source) vs test (target), one panel per
distribution: CDFs for numeric distributions, side-by-side bars for categorical ones, and the
fires per minute of the week.

matplotlib is optional (the ``charts`` extra). Without it `write_chart` logs one line and
returns None; the text and JSON reports never need it.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from azkaban_seeder.profile.cadence import MINUTES_PER_WEEK, fires_by_minute_of_day
from azkaban_seeder.profile.likeness import NUMERIC, LikenessReport
from azkaban_seeder.profile.model import Profile
from azkaban_seeder.profile.stats import pmf_from_histogram

logger = logging.getLogger(__name__)

SOURCE_LABEL, TARGET_LABEL = "production", "test"
COLUMNS = 3


def _cdf(pmf: Mapping[int, float]) -> tuple[list[int], list[float]]:
    total = sum(pmf.values()) or 1.0
    xs, ys, running = [], [], 0.0
    for x in sorted(pmf):
        running += pmf[x]
        xs.append(x)
        ys.append(running / total)
    return xs, ys


def _numeric_panels(
    source: Profile, target: Profile
) -> list[tuple[str, dict[int, float], dict[int, float]]]:
    panels = [
        (name, pmf_from_histogram(get(source)), pmf_from_histogram(get(target)))
        for name, get in NUMERIC
    ]
    panels.append(
        (
            "fire_minute_of_day",
            fires_by_minute_of_day(pmf_from_histogram(source.schedules.fires_per_week)),
            fires_by_minute_of_day(pmf_from_histogram(target.schedules.fires_per_week)),
        )
    )
    return [(name, p, q) for name, p, q in panels if p or q]


def _categorical_panels(
    source: Profile, target: Profile
) -> list[tuple[str, dict[str, float], dict[str, float]]]:
    def pairs(
        get: Callable[[Profile], tuple[tuple[str, int], ...]],
    ) -> tuple[dict[str, float], dict[str, float]]:
        return {k: float(n) for k, n in get(source)}, {k: float(n) for k, n in get(target)}

    return [
        ("cadence_classes", *pairs(lambda p: p.schedules.cadences)),
        ("job_types", *pairs(lambda p: p.graphs.job_types)),
        ("flow_formats", *pairs(lambda p: p.graphs.flow_formats)),
    ]


def _title(name: str, report: LikenessReport | None) -> str:
    if report is None:
        return name
    try:
        c = report.get(name)
    except KeyError:
        return name
    if c.value is None:
        return f"{name} (not compared)"
    return f"{name}: {c.metric} {c.value:.3f} {'pass' if c.passed else 'FAIL'}"


def _draw_cdf(ax: Any, p: Mapping[int, float], q: Mapping[int, float]) -> None:
    for pmf, label in ((p, SOURCE_LABEL), (q, TARGET_LABEL)):
        if pmf:
            xs, ys = _cdf(pmf)
            ax.step(xs, ys, where="post", label=label)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)


def _draw_bars(ax: Any, p: Mapping[str, float], q: Mapping[str, float]) -> None:
    labels = sorted(set(p) | set(q), key=lambda k: -(p.get(k, 0.0) + q.get(k, 0.0)))[:12]
    p_total, q_total = sum(p.values()) or 1.0, sum(q.values()) or 1.0
    xs = list(range(len(labels)))
    ax.bar(
        [x - 0.2 for x in xs], [p.get(k, 0.0) / p_total for k in labels], 0.4, label=SOURCE_LABEL
    )
    ax.bar(
        [x + 0.2 for x in xs], [q.get(k, 0.0) / q_total for k in labels], 0.4, label=TARGET_LABEL
    )
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, rotation=30, fontsize=7)
    ax.legend(fontsize=7)


def _draw_week(ax: Any, source: Profile, target: Profile) -> None:
    for profile, label in ((source, SOURCE_LABEL), (target, TARGET_LABEL)):
        pmf = pmf_from_histogram(profile.schedules.fires_per_week)
        total = sum(pmf.values()) or 1.0
        ax.plot(
            range(MINUTES_PER_WEEK),
            [pmf.get(m, 0.0) / total for m in range(MINUTES_PER_WEEK)],
            label=label,
            linewidth=0.6,
        )
    ax.set_xticks([d * 1440 for d in range(8)])
    ax.set_xticklabels(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", ""], fontsize=7)
    ax.legend(fontsize=7)


def write_chart(
    source: Profile,
    target: Profile,
    path: str | os.PathLike[str],
    report: LikenessReport | None = None,
) -> str | None:
    """Write the PNG to ``path``; returns its path, or None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logger.info("matplotlib is not installed (extra 'charts'): no chart written")
        return None
    numeric = _numeric_panels(source, target)
    categorical = _categorical_panels(source, target)
    count = len(numeric) + len(categorical) + 1
    rows = math.ceil(count / COLUMNS)
    fig, axes = plt.subplots(rows, COLUMNS, figsize=(5 * COLUMNS, 3.2 * rows), squeeze=False)
    cells = [ax for row in axes for ax in row]
    for ax, (name, p, q) in zip(cells, numeric, strict=False):
        _draw_cdf(ax, p, q)
        ax.set_title(_title(name, report), fontsize=9)
    for ax, (label, shares_p, shares_q) in zip(cells[len(numeric) :], categorical, strict=False):
        _draw_bars(ax, shares_p, shares_q)
        ax.set_title(_title(label, report), fontsize=9)
    week_ax = cells[len(numeric) + len(categorical)]
    _draw_week(week_ax, source, target)
    week_ax.set_title(
        _title("top_fire_minutes", report).replace("top_fire_minutes", "fires per minute of week"),
        fontsize=9,
    )
    for ax in cells[count:]:
        ax.axis("off")
    fig.tight_layout()
    target_path = os.fspath(path)
    fig.savefig(target_path, dpi=100)
    plt.close(fig)
    logger.info("likeness chart written to %s", target_path)
    return target_path

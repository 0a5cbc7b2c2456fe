from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from azkaban_seeder.profile import Profile, Thresholds, compare
from azkaban_seeder.profile.likeness import LIKENESS_SCHEMA_VERSION
from azkaban_seeder.profile.model import Histogram, RangeBin


def _with_fires(profile: Profile, fires: dict[int, int]) -> Profile:
    hist = Histogram(tuple(RangeBin(m, m, n) for m, n in sorted(fires.items())))
    return replace(profile, schedules=replace(profile.schedules, fires_per_week=hist))


def _with_thresholds(profile: Profile, **kw: Any) -> Profile:
    thresholds = replace(profile.options.thresholds, **kw)
    return replace(profile, options=replace(profile.options, thresholds=thresholds))


def test_a_profile_is_identical_to_itself(small_profile: Profile) -> None:
    report = compare(small_profile, small_profile)
    compared = [c for c in report.comparisons if c.compared]
    assert {c.name for c in compared} >= {
        "jobs_per_flow",
        "depth",
        "fire_minute_of_day",
        "flow_seconds",
        "cadence_classes",
        "job_types",
        "flow_formats",
        "top_fire_minutes",
    }
    assert all(c.value == pytest.approx(0, abs=1e-9) for c in compared)
    assert report.passed


def test_top_minutes_by_hand(small_profile: Profile) -> None:
    source = _with_thresholds(_with_fires(small_profile, {0: 60, 10: 30, 20: 10}), top_minutes_n=2)
    target = _with_fires(small_profile, {0: 50, 10: 40, 20: 10})
    top = compare(source, target).get("top_fire_minutes")
    assert [m.minute_of_week for m in top.top_minutes] == [0, 10]
    assert [m.relative_difference for m in top.top_minutes] == pytest.approx([1 / 6, 1 / 3])
    assert top.value == pytest.approx(1 / 3) and top.passed is False
    assert top.top_minutes[1].label == "Sun 00:10"


def test_thresholds_come_from_the_source(small_profile: Profile) -> None:
    shifted = _with_fires(small_profile, {0: 1, 1: 1})
    base = _with_fires(small_profile, {0: 1, 2: 1})
    strict = _with_thresholds(base, ks=0.0, top_minutes_rel=0.0)
    lenient = _with_thresholds(shifted, ks=1.0, top_minutes_rel=10.0)
    report = compare(strict, lenient)
    assert report.thresholds.ks == 0.0
    assert report.get("fire_minute_of_day").passed is False
    assert not report.passed
    assert compare(lenient, strict).get("fire_minute_of_day").passed is True


def test_missing_sides_are_not_compared_with_the_reason(small_profile: Profile) -> None:
    fresh = _with_fires(replace(small_profile, executions=None), {})
    report = compare(small_profile, fresh)
    assert "no flow durations" in report.get("flow_seconds").reason
    assert "no schedule fires" in report.get("fire_minute_of_day").reason
    assert report.get("top_fire_minutes").passed is None


def test_text_and_json_forms(small_profile: Profile) -> None:
    report = compare(small_profile, replace(small_profile, executions=None))
    text = report.render_text()
    assert text.startswith("likeness: PASS")
    for c in report.comparisons:
        assert c.name in text
    assert "not compared" in text and "top fire minutes" in text
    doc = json.loads(report.to_json())
    assert (doc["format"], doc["schema_version"]) == (
        "azkaban-seeder-likeness",
        LIKENESS_SCHEMA_VERSION,
    )
    assert doc["passed"] is True
    by_name = {c["distribution"]: c for c in doc["comparisons"]}
    assert by_name["flow_seconds"]["result"] == "not compared"
    assert by_name["depth"]["result"] == "pass" and "wasserstein" in by_name["depth"]
    assert len(by_name["top_fire_minutes"]["top_minutes"]) == Thresholds().top_minutes_n


@pytest.mark.parametrize("name", ["max_width", "level_width", "fan_in", "fan_out"])
def test_every_graph_distribution_counts_in_the_verdict(small_profile: Profile, name: str) -> None:
    """Regression: docs/profile-format.md called fan_in "reported only" while `compare` failed
    the report on it; every graph distribution both sides hold is scored (the doc's Likeness
    section), so one shifted by a node fails the report alone."""
    graphs = small_profile.graphs
    hist: Histogram = getattr(graphs, name)
    shifted: dict[str, Any] = {
        name: Histogram(tuple(RangeBin(b.lo + 1, b.hi + 1, b.count) for b in hist.bins))
    }
    report = compare(small_profile, replace(small_profile, graphs=replace(graphs, **shifted)))
    comparison = report.get(name)
    assert comparison.metric == "ks" and comparison.threshold == Thresholds().ks
    assert comparison.value is not None and comparison.value > comparison.threshold
    assert [c.name for c in report.comparisons if c.passed is False] == [name]
    assert report.passed is False

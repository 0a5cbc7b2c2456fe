from __future__ import annotations

import logging
from collections import Counter

import pytest
from profile_samples import RARE_TYPES, Truth

from azkaban_seeder.profile import (
    FlowObservation,
    NodeObservation,
    Observations,
    Profile,
    ProfileError,
    build_profile,
)
from azkaban_seeder.profile.cadence import week_fires
from azkaban_seeder.profile.model import QUANTILE_PROBS, Histogram
from azkaban_seeder.profile.stats import ks_statistic, pmf_from_histogram, quantiles

K = 5


def _all_histograms(p: Profile) -> dict[str, Histogram]:
    g, s = p.graphs, p.schedules
    return {
        "flows_per_project": g.flows_per_project,
        "jobs_per_flow": g.jobs_per_flow,
        "depth": g.depth,
        "max_width": g.max_width,
        "level_width": g.level_width,
        "fan_in": g.fan_in,
        "fan_out": g.fan_out,
        "embedded_flows": g.embedded_flows,
        "embedded_depth": g.embedded_depth,
        "interval": s.sub_hourly.interval,
        "offset": s.sub_hourly.offset,
        "hourly": s.hourly_minute,
        "daily": s.daily_minute,
        "weekly": s.weekly_minute,
        "other_days": s.other.days_per_week,
        "other_minute": s.other.minute_of_day,
        "fires": s.fires_per_week,
    }


def test_counts_are_the_totals(
    small_sample: tuple[Observations, Truth], small_profile: Profile
) -> None:
    obs, truth = small_sample
    c = small_profile.counts
    assert (c.projects, c.flows) == (obs.projects, len(obs.flows))
    assert c.scheduled_flows == truth.scheduled
    assert c.executions_sampled == truth.executions
    assert small_profile.graphs.flows_per_project.total == obs.projects  # empty ones too


def test_no_bin_row_or_category_stands_for_fewer_than_k(small_profile: Profile) -> None:
    for name, hist in _all_histograms(small_profile).items():
        assert all(b.count >= K for b in hist.bins), name
    assert all(r.count >= K for r in small_profile.graphs.shape_table)
    assert all(n >= K for _, n in small_profile.graphs.job_types)
    assert all(n == 0 or n >= K for _, n in small_profile.schedules.cadences)
    assert all(n == 0 or n >= K for _, n in small_profile.graphs.flow_formats)


def test_graph_distributions_follow_the_skew(
    small_sample: tuple[Observations, Truth], small_profile: Profile
) -> None:
    _, truth = small_sample
    g = small_profile.graphs
    single = [b for b in g.jobs_per_flow.bins if b.lo == b.hi == 1]
    assert single and single[0].count == truth.jobs.count(1)
    assert 0.65 < single[0].count / len(truth.jobs) < 0.75
    assert g.jobs_per_flow.maximum == max(truth.jobs) <= 200
    assert g.depth.maximum == max(truth.depths) <= 15
    # Merging small bins moves little mass: the profile is within a hair of the truth.
    assert ks_statistic(pmf_from_histogram(g.jobs_per_flow), Counter(truth.jobs)) < 0.01
    assert ks_statistic(pmf_from_histogram(g.depth), Counter(truth.depths)) < 0.01
    assert sum(r.count for r in g.shape_table) == len(truth.jobs)
    # Every flow has exactly one sink, so one node per flow has no downstream node.
    assert pmf_from_histogram(g.fan_out)[0] == pytest.approx(len(truth.jobs))


def test_job_types_keep_common_ones_and_fold_rare_ones_into_other(
    small_sample: tuple[Observations, Truth], small_profile: Profile
) -> None:
    _, truth = small_sample
    types = dict(small_profile.graphs.job_types)
    assert not set(RARE_TYPES) & set(types)
    assert types["other"] == sum(truth.job_types[t] for t in set(RARE_TYPES))
    for job_type in ("command", "hadoopJava", "spark", "hive"):
        assert types[job_type] == truth.job_types[job_type]
    assert list(types) == sorted(types, key=lambda t: -types[t])


def test_flow_formats_include_unknown(
    small_sample: tuple[Observations, Truth], small_profile: Profile
) -> None:
    obs, _ = small_sample
    expected = Counter(f.flow_format or "unknown" for f in obs.flows)
    assert dict(small_profile.graphs.flow_formats) == {
        k: expected[k] for k in ("1.0", "2.0", "unknown")
    }


def test_cadence_shares_and_parameters(
    small_sample: tuple[Observations, Truth], small_profile: Profile
) -> None:
    _, truth = small_sample
    s = small_profile.schedules
    assert dict(s.cadences) == {k: truth.cadences[k] for k in dict(s.cadences)}
    assert s.sub_hourly.interval.bins[0].lo == s.sub_hourly.interval.maximum == 15
    weekly = pmf_from_histogram(s.weekly_minute)
    sunday = sum(n for m, n in weekly.items() if m < 1440)
    assert 0.45 < sunday / sum(weekly.values()) < 0.75  # 3 of 5 weekly crons are on Sunday
    assert s.other.days_per_week.bins[0].lo == s.other.days_per_week.maximum == 5  # MON-FRI


def test_fire_histogram_weighs_fires_and_keeps_the_midnight_peaks(
    small_sample: tuple[Observations, Truth], small_profile: Profile
) -> None:
    obs, truth = small_sample
    fires = small_profile.schedules.fires_per_week
    assert fires.total == sum(len(week_fires(f.cron)) for f in obs.flows if f.cron)
    pmf = pmf_from_histogram(fires)
    top7 = sorted(pmf, key=lambda m: -pmf[m])[:7]
    assert sorted(top7) == [day * 1440 for day in range(7)]
    # Each midnight holds at least the midnight daily flows and the offset-0 15-minute ones.
    assert min(pmf[m] for m in top7) >= truth.midnight_daily


def test_minute_zero_share_survives(
    large_sample: tuple[Observations, Truth], large_profile: Profile
) -> None:
    # With 10,000 flows a minute-0 bin holds well over k flows; in small samples k-merging
    # rightly blurs bins of fewer than k flows.
    _, truth = large_sample
    s = large_profile.schedules
    per_class = [
        (pmf_from_histogram(s.hourly_minute), 60),
        (pmf_from_histogram(s.daily_minute), 60),
        (pmf_from_histogram(s.weekly_minute), 60),
        (pmf_from_histogram(s.sub_hourly.offset), 15),
        (pmf_from_histogram(s.other.minute_of_day), 60),
    ]
    zero = sum(n for pmf, mod in per_class for m, n in pmf.items() if m % mod == 0)
    total = sum(sum(pmf.values()) for pmf, _ in per_class)
    assert total == pytest.approx(truth.scheduled)
    assert zero / total == pytest.approx(truth.minute_zero / truth.scheduled, abs=0.03)
    assert 0.4 < truth.minute_zero / truth.scheduled < 0.6  # 40% + the midnight spike


def test_executions(small_sample: tuple[Observations, Truth], small_profile: Profile) -> None:
    obs, truth = small_sample
    e = small_profile.executions
    assert e is not None and e.flow_seconds is not None
    assert e.flow_failure_rate == pytest.approx(truth.failed / truth.executions, abs=1e-6)
    assert 0.01 < e.flow_failure_rate < 0.06
    expected = quantiles(truth.flow_seconds, QUANTILE_PROBS)
    assert e.flow_seconds.values == pytest.approx(expected, abs=1e-3)
    command = dict(e.job_seconds)["command"]
    # log-normal(mu=3, sigma=1): median e^3
    assert command.values[QUANTILE_PROBS.index(0.5)] == pytest.approx(20.1, rel=0.15)
    assert len(e.concurrency_by_hour) == 168
    running = sum(e.concurrency_by_hour) * 3600 * obs.history_days / 7
    assert running == pytest.approx(sum(truth.flow_seconds), rel=1e-3)


def test_no_executions_means_no_execution_part() -> None:
    flows = [FlowObservation(0, (NodeObservation("command"),)) for _ in range(10)]
    profile = build_profile(Observations(projects=1, flows=flows, complete=True))
    assert profile.executions is None
    assert profile.counts.scheduled_flows == 0
    assert profile.schedules.fires_per_week == Histogram()


def test_partial_observations_are_refused() -> None:
    with pytest.raises(ProfileError, match="did not complete"):
        build_profile(Observations(projects=1, complete=False))


def test_embedded_flows_and_bad_graphs(caplog: pytest.LogCaptureFixture) -> None:
    inner = (NodeObservation("command"), NodeObservation("command", (0,)))
    nested = NodeObservation("flow", embedded=(NodeObservation("flow", embedded=inner),))
    good = FlowObservation(0, (nested, NodeObservation("spark", (0,))), flow_format="2.0")
    cycle = FlowObservation(0, (NodeObservation("command", (1,)), NodeObservation("command", (0,))))
    obs = Observations(projects=1, flows=[good] * 6 + [cycle], complete=True)
    with caplog.at_level(logging.WARNING):
        profile = build_profile(obs)
    assert "cycle" in caplog.text
    assert pmf_from_histogram(profile.graphs.embedded_flows) == {2: 6}
    assert pmf_from_histogram(profile.graphs.embedded_depth) == {2: 6}
    assert dict(profile.graphs.job_types) == {"command": 12, "spark": 6}
    assert pmf_from_histogram(profile.graphs.depth) == {2: 6}

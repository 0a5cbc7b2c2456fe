from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from azkaban_seeder.profile.model import Histogram, RangeBin
from azkaban_seeder.profile.stats import (
    cdf_at,
    coarsen_rows,
    js_divergence,
    ks_quantiles,
    ks_statistic,
    merge_small_bins,
    merge_small_categories,
    merge_small_counts,
    pmf_from_histogram,
    quantile_at,
    quantiles,
    wasserstein,
    wasserstein_quantiles,
)


def test_quantiles_interpolate_between_order_statistics() -> None:
    assert quantiles([4, 1, 3, 2], [0, 0.5, 1]) == (1, 2.5, 4)
    assert quantiles([10], [0, 0.3, 1]) == (10, 10, 10)
    with pytest.raises(ValueError):
        quantiles([], [0.5])


def test_quantile_table_inverts_its_cdf() -> None:
    probs, values = (0.0, 0.5, 1.0), (0.0, 10.0, 30.0)
    assert quantile_at(probs, values, 0.25) == 5.0
    assert quantile_at(probs, values, 0.75) == 20.0
    for u in (0.0, 0.1, 0.5, 0.9, 1.0):
        assert cdf_at(probs, values, quantile_at(probs, values, u)) == pytest.approx(u)


def test_ks_by_hand() -> None:
    # F_p: 0.5 at 1, 1 at 2; F_q: 0 at 1, 1 at 2 -> sup difference 0.5
    assert ks_statistic({1: 1, 2: 1}, {2: 1}) == pytest.approx(0.5)
    assert ks_statistic({1: 3, 2: 1}, {1: 1, 2: 3}) == pytest.approx(0.5)


def test_identical_distributions_are_at_distance_zero() -> None:
    p = {1: 5.0, 2: 3.0, 7: 2.0}
    scaled = {k: v * 10 for k, v in p.items()}  # weights are normalised
    assert ks_statistic(p, scaled) == 0
    assert wasserstein(p, scaled) == 0
    assert js_divergence({"a": 1, "b": 3}, {"a": 2, "b": 6}) == pytest.approx(0, abs=1e-12)


def test_disjoint_distributions_are_at_distance_one() -> None:
    assert ks_statistic({1: 1, 2: 1}, {5: 2}) == 1
    assert js_divergence({"a": 1}, {"b": 1}) == pytest.approx(1)


def test_wasserstein_by_hand() -> None:
    # Moving all mass from 0 to 3 costs 3; half the mass from 0 to 2 costs 1.
    assert wasserstein({0: 1}, {3: 1}) == pytest.approx(3)
    assert wasserstein({0: 1}, {0: 1, 2: 1}) == pytest.approx(1)


def test_js_by_hand() -> None:
    # P = (1/2, 1/2), Q = (1, 0): M = (3/4, 1/4).
    expected = 0.5 * (0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)) + 0.5 * (
        math.log2(1 / 0.75)
    )
    assert js_divergence({"a": 1, "b": 1}, {"a": 1}) == pytest.approx(expected)


def test_quantile_distances() -> None:
    probs = (0.0, 0.5, 1.0)
    assert ks_quantiles(probs, (0, 1, 2), probs, (0, 1, 2)) == 0
    assert ks_quantiles(probs, (0, 1, 2), probs, (10, 11, 12)) == 1
    # Shifting a distribution by 3 moves every quantile by 3.
    assert wasserstein_quantiles(probs, (0, 1, 2), probs, (3, 4, 5)) == pytest.approx(3)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("k", [2, 5, 11])
def test_k_merge_never_leaves_a_bin_below_k(seed: int, k: int) -> None:
    rng = random.Random(seed)
    counts = Counter(int(rng.paretovariate(1.0)) for _ in range(rng.randint(k, 400)))
    hist = merge_small_counts(counts, k)
    assert all(b.count >= k for b in hist.bins)
    assert hist.total == sum(counts.values())  # nothing lost
    assert all(a.hi < b.lo for a, b in zip(hist.bins, hist.bins[1:], strict=False))
    # Bins that were large enough on their own stay exact unless a small run joined them.
    exact = {b.lo for b in hist.bins if b.lo == b.hi}
    assert exact <= {v for v, n in counts.items() if n >= k}


def test_k_merge_keeps_large_bins_and_merges_small_runs() -> None:
    hist = merge_small_counts({1: 100, 2: 2, 3: 2, 4: 2, 9: 50}, 5)
    assert hist.bins[0] == RangeBin(1, 1, 100)
    assert sum(b.count for b in hist.bins) == 156
    assert all(b.count >= 5 for b in hist.bins)


def test_k_merge_withholds_a_distribution_smaller_than_k() -> None:
    assert merge_small_counts({1: 2, 5: 2}, 5) == Histogram()


def test_k_merge_counts_members_not_weight() -> None:
    # One flow firing in three minutes with 7 fires each is still one flow: merged away.
    points = [(m, 7, frozenset({1})) for m in (10, 11, 12)]
    points += [(m, 1, frozenset(range(100 + m, 106 + m))) for m in (20,)]
    hist = merge_small_bins(points, 5, len, frozenset.union)
    assert [(b.lo, b.hi) for b in hist.bins] == [(10, 20)]
    assert hist.total == 22


def test_categories_fold_into_other_until_it_reaches_k() -> None:
    # b and c make "other" 4 < 5, so the smallest remaining category (a) joins it too.
    assert merge_small_categories({"a": 10, "b": 2, "c": 2}, 5) == {"other": 14}
    assert merge_small_categories({"a": 10, "b": 3, "c": 2}, 5) == {"a": 10, "other": 5}
    merged = merge_small_categories({"a": 10, "b": 2, "c": 2, "d": 6}, 5)
    assert all(n >= 5 for n in merged.values())
    assert sum(merged.values()) == 20
    assert merge_small_categories({"a": 2, "b": 2}, 5) == {}


@pytest.mark.parametrize("seed", range(10))
def test_coarsened_rows_stand_for_k_flows_and_keep_everyone(seed: int) -> None:
    rng = random.Random(seed)
    counts: Counter[tuple[int, int, int]] = Counter()
    for _ in range(2000):
        jobs = 1 if rng.random() < 0.7 else min(200, 1 + int(rng.paretovariate(1.1)))
        depth = 1 if jobs == 1 else rng.randint(2, min(15, jobs))
        counts[(jobs, depth, rng.randint(1, jobs))] += 1
    rows = coarsen_rows(counts, 5)
    assert all(r.count >= 5 for r in rows)
    assert sum(r.count for r in rows) == 2000
    for (jobs, depth, width), n in counts.items():
        covering = [
            r
            for r in rows
            if r.jobs[0] <= jobs <= r.jobs[1]
            and r.depth[0] <= depth <= r.depth[1]
            and r.width[0] <= width <= r.width[1]
        ]
        assert covering, (jobs, depth, width, n)


def test_range_bins_spread_evenly() -> None:
    pmf = pmf_from_histogram(Histogram((RangeBin(0, 0, 4), RangeBin(2, 5, 8))))
    assert pmf == {0: 4, 2: 2, 3: 2, 4: 2, 5: 2}

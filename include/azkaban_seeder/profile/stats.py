"""Pure-Python statistics for profiles: quantiles, k-anonymity merging, distances.

Distributions are plain mappings here: a numeric distribution is ``{value: weight}`` over
integers (a probability mass function once normalised), a categorical one ``{label: weight}``.
`pmf_from_histogram` turns profile bins into such a mapping, spreading a range bin evenly over
its integers (as synthesis draws uniformly inside it).

k-anonymity: `merge_small_bins` (numeric), `merge_small_categories` (categorical) and
`coarsen_rows` (the joint shape table) never leave a bin, category or row standing for fewer
than k members; a distribution of fewer than k members in all is dropped (empty).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from azkaban_seeder.profile.model import OTHER, Histogram, RangeBin, ShapeRow

M = TypeVar("M")

# --------------------------------------------------------------------------- quantiles


def quantiles(values: Sequence[float], probs: Sequence[float]) -> tuple[float, ...]:
    """Quantiles of ``values`` at ``probs`` by linear interpolation between order statistics
    (Hyndman-Fan type 7, numpy's default); p=0 is the minimum, p=1 the maximum."""
    if not values:
        raise ValueError("quantiles of no values")
    ordered = sorted(values)
    last = len(ordered) - 1
    out = []
    for p in probs:
        pos = p * last
        lo = math.floor(pos)
        hi = min(lo + 1, last)
        out.append(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))
    return tuple(out)


def quantile_at(probs: Sequence[float], values: Sequence[float], u: float) -> float:
    """The inverse CDF at ``u`` in [0, 1] of the piecewise-linear quantile table."""
    i = bisect.bisect_right(probs, u)
    if i <= 0:
        return values[0]
    if i >= len(probs):
        return values[-1]
    p0, p1 = probs[i - 1], probs[i]
    return values[i - 1] + (values[i] - values[i - 1]) * (u - p0) / (p1 - p0)


def cdf_at(probs: Sequence[float], values: Sequence[float], x: float) -> float:
    """The CDF at ``x`` of the piecewise-linear quantile table (inverse of `quantile_at`)."""
    if x < values[0]:
        return 0.0
    if x >= values[-1]:
        return 1.0
    i = bisect.bisect_right(values, x)
    v0, v1 = values[i - 1], values[i]
    if v1 == v0:
        return probs[i]
    return probs[i - 1] + (probs[i] - probs[i - 1]) * (x - v0) / (v1 - v0)


# --------------------------------------------------------------------------- k-anonymity


@dataclass
class _Group(Generic[M]):
    lo: int
    hi: int
    weight: int
    members: M


class _Merger(Generic[M]):
    """Left-to-right merging of small bins (see `merge_small_bins`)."""

    def __init__(self, k: int, size: Callable[[M], int], join: Callable[[M, M], M]) -> None:
        self.k, self.size, self.join = k, size, join
        self.groups: list[_Group[M]] = []
        self.run: _Group[M] | None = None
        self.segment_start = 0  # first group made of small bins since the last large one

    def _absorb(self, into: _Group[M], other: _Group[M]) -> None:
        into.lo, into.hi = min(into.lo, other.lo), max(into.hi, other.hi)
        into.weight += other.weight
        into.members = self.join(into.members, other.members)

    def add_small(self, group: _Group[M]) -> None:
        if self.run is None:
            self.run = group
        else:
            self._absorb(self.run, group)
        if self.size(self.run.members) >= self.k:
            self.groups.append(self.run)
            self.run = None

    def _place_leftover(self, run: _Group[M], following: _Group[M] | None) -> None:
        """A run still below k joins the range bin made just before it from the same stretch
        of small bins; failing that, the lighter neighbour (a large bin gets smeared)."""
        previous = self.groups[-1] if self.groups else None
        if previous is None and following is None:
            return  # fewer than k members in all: withheld
        if len(self.groups) > self.segment_start or following is None:
            assert previous is not None
            self._absorb(previous, run)
        elif previous is not None and previous.weight <= following.weight:
            self._absorb(previous, run)
        else:
            self._absorb(following, run)

    def add_large(self, group: _Group[M]) -> None:
        run, self.run = self.run, None
        if run is not None:
            self._place_leftover(run, group)
        self.groups.append(group)
        self.segment_start = len(self.groups)

    def finish(self) -> list[_Group[M]]:
        if self.run is not None:
            self._place_leftover(self.run, None)
        return self.groups


def merge_small_bins(
    points: Iterable[tuple[int, int, M]],
    k: int,
    size: Callable[[M], int],
    join: Callable[[M, M], M],
) -> Histogram:
    """Bins ``(value, weight, members)`` -> a `Histogram` whose every bin has >= k members.

    Walking values in order, a bin of at least k members stays exact; runs of smaller
    neighbours are merged into range bins ``[lo, hi]`` as soon as they reach k members. A run
    left below k joins the range bin before it from the same stretch of small bins, so large
    bins (the peaks) stay exact; only a whole stretch below k joins its lighter large
    neighbour. ``members`` is what k counts (a count, or the
    set of flows behind a fire-time bin); ``weight`` is what the bin stores. Fewer than k
    members in all: an empty histogram (the distribution is withheld)."""
    merger: _Merger[M] = _Merger(k, size, join)
    for value, weight, members in sorted(points, key=lambda p: p[0]):
        group = _Group(value, value, weight, members)
        if size(members) >= k:
            merger.add_large(group)
        else:
            merger.add_small(group)
    return Histogram(tuple(RangeBin(g.lo, g.hi, g.weight) for g in merger.finish()))


def _add(a: int, b: int) -> int:
    return a + b


def _identity(n: int) -> int:
    return n


def merge_small_counts(counts: Mapping[int, int], k: int) -> Histogram:
    """`merge_small_bins` for plain counts (members = weight = how many observations)."""
    return merge_small_bins(((v, n, n) for v, n in counts.items() if n > 0), k, _identity, _add)


def merge_small_categories(counts: Mapping[str, int], k: int, other: str = OTHER) -> dict[str, int]:
    """Categories of fewer than k members fold into ``other``; if ``other`` is then still
    below k, the smallest remaining category joins it, until it holds k or nothing is left."""
    merged = {label: n for label, n in counts.items() if n > 0}
    rest = merged.pop(other, 0)
    for label in [label for label, n in merged.items() if n < k]:
        rest += merged.pop(label)
    while 0 < rest < k and merged:
        smallest = min(merged, key=lambda label: (merged[label], label))
        rest += merged.pop(smallest)
    if rest >= k:
        merged[other] = rest
    return merged


def _bucket(value: int, level: int) -> int:
    return value.bit_length() >> (level - 1)


def _range_row(members: Sequence[tuple[tuple[int, int, int], int]]) -> ShapeRow:
    dims = [[key[d] for key, _ in members] for d in range(3)]
    return ShapeRow(
        (min(dims[0]), max(dims[0])),
        (min(dims[1]), max(dims[1])),
        (min(dims[2]), max(dims[2])),
        sum(n for _, n in members),
    )


def _widen(row: ShapeRow, extra: ShapeRow) -> ShapeRow:
    def span(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        return (min(a[0], b[0]), max(a[1], b[1]))

    return ShapeRow(
        span(row.jobs, extra.jobs),
        span(row.depth, extra.depth),
        span(row.width, extra.width),
        row.count + extra.count,
    )


def coarsen_rows(counts: Mapping[tuple[int, int, int], int], k: int) -> tuple[ShapeRow, ...]:
    """The joint (jobs, depth, width) table with no row below k flows.

    Rows of at least k flows stay exact. Smaller rows are grouped by power-of-two buckets of
    all three values, then by ever coarser buckets (bit length >> level); a group reaching k
    becomes one range row (the min..max of its members). What is left at the end (< k flows)
    widens the row nearest in jobs. Fewer than k flows in all: no rows."""
    rows = [ShapeRow((j, j), (d, d), (w, w), n) for (j, d, w), n in counts.items() if n >= k]
    pending = [(key, n) for key, n in counts.items() if 0 < n < k]
    level = 1
    while pending and level <= 64:
        groups: dict[tuple[int, int, int], list[tuple[tuple[int, int, int], int]]] = defaultdict(
            list
        )
        for key, n in pending:
            groups[(_bucket(key[0], level), _bucket(key[1], level), _bucket(key[2], level))].append(
                (key, n)
            )
        pending = []
        for members in groups.values():
            if sum(n for _, n in members) >= k:
                rows.append(_range_row(members))
            else:
                pending.extend(members)
        level += 1
    if pending and rows:
        extra = _range_row(pending)
        nearest = min(range(len(rows)), key=lambda i: abs(rows[i].jobs[0] - extra.jobs[0]))
        rows[nearest] = _widen(rows[nearest], extra)
    return tuple(sorted(rows, key=lambda r: (r.jobs, r.depth, r.width)))


# --------------------------------------------------------------------------- distributions


def pmf_from_histogram(hist: Histogram) -> dict[int, float]:
    """``{value: weight}``, each range bin's weight spread evenly over its integers."""
    pmf: dict[int, float] = defaultdict(float)
    for b in hist.bins:
        share = b.count / (b.hi - b.lo + 1)
        for value in range(b.lo, b.hi + 1):
            pmf[value] += share
    return dict(pmf)


def _normalised_numeric(weights: Mapping[int, float]) -> dict[int, float]:
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("distribution with no weight")
    return {key: w / total for key, w in weights.items() if w > 0}


def _normalised_labels(weights: Mapping[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("distribution with no weight")
    return {key: w / total for key, w in weights.items() if w > 0}


def _cdf_pairs(p: Mapping[int, float], q: Mapping[int, float]) -> list[tuple[int, float, float]]:
    """``(x, P(X <= x), Q(X <= x))`` at every support point of either distribution."""
    pn, qn = _normalised_numeric(p), _normalised_numeric(q)
    fp = fq = 0.0
    out = []
    for x in sorted(set(pn) | set(qn)):
        fp += pn.get(x, 0.0)
        fq += qn.get(x, 0.0)
        out.append((x, fp, fq))
    return out


def ks_statistic(p: Mapping[int, float], q: Mapping[int, float]) -> float:
    """Kolmogorov-Smirnov distance sup |F_p - F_q| of two discrete distributions (0..1)."""
    return min(1.0, max(abs(fp - fq) for _, fp, fq in _cdf_pairs(p, q)))


def wasserstein(p: Mapping[int, float], q: Mapping[int, float]) -> float:
    """Earth mover's distance (W1) of two discrete distributions, in units of the values."""
    pairs = _cdf_pairs(p, q)
    return sum(abs(fp - fq) * (nxt[0] - x) for (x, fp, fq), nxt in itertools.pairwise(pairs))


def js_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence, base 2 (0 = identical, 1 = disjoint supports)."""
    pn, qn = _normalised_labels(p), _normalised_labels(q)
    total = 0.0
    for key in set(pn) | set(qn):
        a, b = pn.get(key, 0.0), qn.get(key, 0.0)
        m = (a + b) / 2
        if a > 0:
            total += 0.5 * a * math.log2(a / m)
        if b > 0:
            total += 0.5 * b * math.log2(b / m)
    return min(1.0, max(0.0, total))


def ks_quantiles(
    probs_a: Sequence[float], a: Sequence[float], probs_b: Sequence[float], b: Sequence[float]
) -> float:
    """KS distance of two distributions given as piecewise-linear quantile tables."""
    knots = sorted(set(a) | set(b))
    # Just below each knot matters too: equal neighbouring quantiles are a point mass.
    points = [x for knot in knots for x in (knot - 1e-9 * max(1.0, abs(knot)), knot)]
    return max(abs(cdf_at(probs_a, a, x) - cdf_at(probs_b, b, x)) for x in points)


def wasserstein_quantiles(
    probs_a: Sequence[float],
    a: Sequence[float],
    probs_b: Sequence[float],
    b: Sequence[float],
    steps: int = 1000,
) -> float:
    """W1 of two quantile tables: the integral of |Q_a(u) - Q_b(u)| over u (midpoint rule)."""
    total = 0.0
    for i in range(steps):
        u = (i + 0.5) / steps
        total += abs(quantile_at(probs_a, a, u) - quantile_at(probs_b, b, u))
    return total / steps

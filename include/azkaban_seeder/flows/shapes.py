"""Job graphs for each shape, as ``(job name, upstream names)`` in topological order.

Every shape has exactly one sink, the root, named after the flow. That matters for Flow 1.0:
the loader turns every job nobody depends on into a flow of its own, so a second sink would
become a second, unexpected flow. Edges always point from a higher level to a lower one, so no
shape can contain a cycle, and every dependency names a job of the same flow.
"""

from __future__ import annotations

import random

from azkaban_seeder.flows.naming import job_id_for
from azkaban_seeder.spec import ShapeChoice

Graph = list[tuple[str, tuple[str, ...]]]

RANDOM_MAX_LEVELS = 6  # longest path, counted in jobs, root included
RANDOM_MAX_WIDTH = 6  # jobs per level
RANDOM_MAX_EXTRA_EDGES = 2  # extra downstream edges per job, beyond the one that links it


def single(flow_id: str) -> Graph:
    return [(flow_id, ())]


def chain(flow_id: str, length: int) -> Graph:
    """``j001 -> j002 -> ... -> root``: ``length`` jobs in a line."""
    names = [job_id_for(flow_id, k) for k in range(1, length)] + [flow_id]
    return [(name, (names[i - 1],) if i else ()) for i, name in enumerate(names)]


def fanout(flow_id: str, width: int) -> Graph:
    """``j001 -> (j002 .. j{width+1}) -> root``: ``width + 2`` jobs."""
    start = job_id_for(flow_id, 1)
    middle = [job_id_for(flow_id, k) for k in range(2, width + 2)]
    return [(start, ()), *((name, (start,)) for name in middle), (flow_id, tuple(middle))]


def random_dag(flow_id: str, rng: random.Random) -> Graph:
    """A random layered DAG: level 0 is the root, each job links down to a lower level.

    Each job at level k >= 1 gets one downstream job on level k - 1 (so it is not a sink and
    the depth is exactly the level count) plus up to two extra downstream jobs on any lower
    level. At most 6 levels x 6 jobs, at most 3 out-edges per job.
    """
    levels = rng.randint(1, RANDOM_MAX_LEVELS)
    widths = [1] + [rng.randint(1, RANDOM_MAX_WIDTH) for _ in range(levels - 1)]
    # Number upstream-most levels first so names follow topological order.
    names: list[list[str]] = [[] for _ in range(levels)]
    number = 1
    for level in range(levels - 1, 0, -1):
        for _ in range(widths[level]):
            names[level].append(job_id_for(flow_id, number))
            number += 1
    names[0] = [flow_id]
    upstream: dict[str, set[str]] = {n: set() for level in names for n in level}
    for level in range(1, levels):
        for name in names[level]:
            upstream[rng.choice(names[level - 1])].add(name)
            lower = [n for lv in names[:level] for n in lv]
            for target in rng.sample(
                lower, min(len(lower), rng.randint(0, RANDOM_MAX_EXTRA_EDGES))
            ):
                upstream[target].add(name)
    order = [n for level in reversed(names) for n in level]
    return [(n, tuple(sorted(upstream[n]))) for n in order]


def build_graph(flow_id: str, choice: ShapeChoice, rng: random.Random | None) -> Graph:
    """The graph of one flow for an already-chosen (non-mix) shape; ``random`` needs ``rng``."""
    if choice.kind == "single":
        return single(flow_id)
    if choice.kind == "chain":
        return chain(flow_id, choice.param)
    if choice.kind == "fanout":
        return fanout(flow_id, choice.param)
    if choice.kind == "random" and rng is not None:
        return random_dag(flow_id, rng)
    raise ValueError(f"unknown shape kind {choice.kind!r}")

"""Hand-made crawler observations with production-like skew, and flows turned back into them.

`skewed_observations` follows fixed rules (70% single-job flows, a heavy tail to 200 jobs,
depth up to 15, 40% of schedule minutes at :00, a midnight spike, weekly, every-15-minute and
weekday cadences, log-normal durations, 3% failures) and returns what it generated beside the
observations, so tests compare a profile with the truth instead of with constants.

`observations_from_flows` is what the crawler would see of generated flows: the graph from
job dependencies (nodes in id order, as ``fetchflowgraph`` sorts them), the cron from
``Flow.cron``, no executions.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from azkaban_seeder.flows import Flow
from azkaban_seeder.profile.observations import (
    ExecutionObservation,
    FlowObservation,
    JobRun,
    NodeObservation,
    Observations,
)

JOB_TYPES = (("command", 70), ("hadoopJava", 15), ("spark", 10), ("hive", 5))
#: The first node of the first flows gets these: a handful of jobs each, below k = 5, so
#: they must fold into "other"; the last one is not a job-type token at all.
RARE_TYPES = ("pig", "pig", "noop", "noop", "noop", "my job/v2")
CADENCE_WEIGHTS = (("daily", 60), ("hourly", 15), ("sub_hourly", 8), ("weekly", 10), ("other", 7))
DAY_MS = 86_400_000
START_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC


@dataclass
class Truth:
    """What the generator drew, flow by flow."""

    jobs: list[int] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)
    cadences: Counter[str] = field(default_factory=Counter)
    scheduled: int = 0
    minute_zero: int = 0
    midnight_daily: int = 0
    executions: int = 0
    failed: int = 0
    job_types: Counter[str] = field(default_factory=Counter)
    flow_seconds: list[float] = field(default_factory=list)


def _jobs(rng: random.Random) -> int:
    if rng.random() < 0.7:
        return 1
    return min(200, 1 + int(rng.paretovariate(1.1)))


def _layered_nodes(rng: random.Random, jobs: int, depth: int) -> list[list[int]]:
    """Parents (upstream positions) of each node of a one-sink layered DAG, in level order."""
    sizes = [1] + [1] * (depth - 1)
    for _ in range(jobs - depth):
        sizes[rng.randrange(1, depth)] += 1
    starts = [sum(sizes[:i]) for i in range(depth)]
    parents: list[list[int]] = [[] for _ in range(jobs)]
    for level in range(1, depth):
        for node in range(starts[level], starts[level] + sizes[level]):
            target = rng.randrange(starts[level - 1], starts[level - 1] + sizes[level - 1])
            parents[target].append(node)
            if rng.random() < 0.3 and starts[level] > 1:
                extra = rng.randrange(0, starts[level])
                if extra != target and node not in parents[extra]:
                    parents[extra].append(node)
    return parents


def _graph(
    rng: random.Random, truth: Truth, forced_type: str | None
) -> tuple[NodeObservation, ...]:
    jobs = _jobs(rng)
    depth = 1 if jobs == 1 else rng.randint(2, min(15, jobs))
    truth.jobs.append(jobs)
    truth.depths.append(depth)
    parents = _layered_nodes(rng, jobs, depth)
    order = list(range(jobs))
    rng.shuffle(order)  # fetchflowgraph sorts by id, not by level
    position = {node: i for i, node in enumerate(order)}
    nodes = []
    for node in order:
        job_type = forced_type if forced_type is not None and node == order[0] else _job_type(rng)
        truth.job_types[job_type] += 1
        nodes.append(NodeObservation(job_type, tuple(sorted(position[p] for p in parents[node]))))
    return tuple(nodes)


def _job_type(rng: random.Random) -> str:
    return rng.choices([t for t, _ in JOB_TYPES], [w for _, w in JOB_TYPES])[0]


def _minute(rng: random.Random, truth: Truth) -> int:
    if rng.random() < 0.4:
        truth.minute_zero += 1
        return 0
    return rng.randint(1, 59)


def _cron(rng: random.Random, truth: Truth) -> str | None:
    if rng.random() >= 0.6:
        return None
    truth.scheduled += 1
    kind = rng.choices([k for k, _ in CADENCE_WEIGHTS], [w for _, w in CADENCE_WEIGHTS])[0]
    truth.cadences[kind] += 1
    if kind == "daily" and rng.random() < 0.25:
        truth.midnight_daily += 1
        truth.minute_zero += 1
        return "0 0 0 * * ?"
    minute = _minute(rng, truth)
    hour = rng.randint(0, 23)
    if kind == "daily":
        return f"0 {minute} {hour} ? * *"
    if kind == "hourly":
        return f"0 {minute} * * * ?"
    if kind == "sub_hourly":
        return f"0 {minute % 15}/15 * ? * *"
    if kind == "weekly":
        day = rng.choice(["SUN", "SUN", "SUN", "MON", "FRI"])
        return f"0 {minute} {hour} ? * {day}"
    return f"0 {minute} {hour} ? * MON-FRI"


def _executions(
    rng: random.Random, nodes: tuple[NodeObservation, ...], truth: Truth
) -> tuple[ExecutionObservation, ...]:
    out = []
    for _ in range(rng.randint(0, 4)):
        failed = rng.random() < 0.03
        runs = tuple(
            JobRun(n.type, "SUCCEEDED", round(rng.lognormvariate(3.0, 1.0), 2)) for n in nodes
        )
        if failed:
            runs = (*runs[:-1], JobRun(runs[-1].type, "FAILED", runs[-1].seconds))
        seconds = sum(r.seconds for r in runs) + rng.lognormvariate(2.0, 0.5)
        start = START_MS + rng.randrange(0, 30 * DAY_MS)
        status = "FAILED" if failed else "SUCCEEDED"
        out.append(
            ExecutionObservation(status, start - 1000, start, start + int(seconds * 1000), runs)
        )
        truth.executions += 1
        truth.failed += failed
        truth.flow_seconds.append(int(seconds * 1000) / 1000)
    return tuple(out)


def skewed_observations(
    flows: int, seed: int = 1, executions: bool = True
) -> tuple[Observations, Truth]:
    """``flows`` skewed flows in projects of 1..200 flows, and the truth behind them."""
    rng = random.Random(seed)
    truth = Truth()
    out: list[FlowObservation] = []
    project = 0
    while len(out) < flows:
        for _ in range(min(flows - len(out), max(1, int(rng.paretovariate(0.8))) % 200 + 1)):
            forced = RARE_TYPES[len(out)] if len(out) < len(RARE_TYPES) else None
            nodes = _graph(rng, truth, forced)
            out.append(
                FlowObservation(
                    project=project,
                    nodes=nodes,
                    flow_format=rng.choice(["1.0", "1.0", "2.0", None]),
                    cron=_cron(rng, truth),
                    executions=_executions(rng, nodes, truth) if executions else (),
                )
            )
        project += 1
    obs = Observations(projects=project + 3, flows=out, history_days=30, complete=True)
    return obs, truth


def observations_from_flows(
    flows: Iterable[Flow], flows_per_project: int, flow_format: str | None = None
) -> Observations:
    """What a crawl of the built environment would record about ``flows``."""
    out = []
    for i, flow in enumerate(flows):
        names = sorted(job.name for job in flow.jobs)
        position = {name: p for p, name in enumerate(names)}
        by_name = {job.name: job for job in flow.jobs}
        nodes = tuple(
            NodeObservation(
                by_name[name].type, tuple(sorted(position[d] for d in by_name[name].dependencies))
            )
            for name in names
        )
        out.append(FlowObservation(i // flows_per_project, nodes, flow_format, flow.cron))
    projects = math.ceil(len(out) / flows_per_project)
    return Observations(projects=projects, flows=out, complete=True)

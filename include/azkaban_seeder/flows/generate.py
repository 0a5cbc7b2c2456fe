"""Deterministic flow generation: flow ``index`` of a spec is always the same flow.

Randomness comes from ``random.Random`` seeded with a BLAKE2 digest of ``(seed, index)``, never
from Python's ``hash()`` (salted per process), so every worker process, every run and every
machine builds identical flows and therefore identical zip bytes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator

from azkaban_seeder.flows.model import Flow, Job
from azkaban_seeder.flows.naming import flow_id_for
from azkaban_seeder.flows.profiled import profiled_flow
from azkaban_seeder.flows.schedule import flow_cron
from azkaban_seeder.flows.shapes import Graph, build_graph
from azkaban_seeder.plan import ProjectPlan, project_name
from azkaban_seeder.spec import PROFILE_SHAPE, EnvSpec, ShapeChoice

JOB_TYPE = "command"


def flow_rng(seed: int, index: int) -> random.Random:
    """A private generator for flow ``index``, stable across processes and Python runs."""
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _graph(spec: EnvSpec, flow_id: str, index: int) -> Graph:
    choices = spec.shape_choices
    if len(choices) == 1 and choices[0].kind != "random":
        # Fixed shapes need no randomness; skipping the generator halves the cost of a flow.
        return build_graph(flow_id, choices[0], None)
    rng = flow_rng(spec.seed, index)
    choice = choices[0] if len(choices) == 1 else _choose(choices, rng)
    return build_graph(flow_id, choice, rng)


def _choose(choices: tuple[ShapeChoice, ...], rng: random.Random) -> ShapeChoice:
    return rng.choices(choices, weights=[c.weight for c in choices])[0]


def generate_flow(spec: EnvSpec, index: int) -> Flow:
    """Flow ``index`` (global, 0-based) of ``spec``; its project follows from the index."""
    if not 0 <= index < spec.flow_count:
        raise ValueError(f"flow index {index} outside 0..{spec.flow_count - 1}")
    flow_id = flow_id_for(index)
    project = project_name(spec.prefix, index // spec.flows_per_project)
    if spec.shape_choices[0].kind == PROFILE_SHAPE:
        return profiled_flow(spec, index, flow_id, project, flow_rng(spec.seed, index))
    graph = _graph(spec, flow_id, index)
    jobs = tuple(
        Job(
            name=name,
            type=JOB_TYPE,
            command=spec.command.format(project=project, flow=flow_id, job=name, index=index),
            dependencies=deps,
        )
        for name, deps in graph
    )
    return Flow(flow_id, jobs, flow_cron(spec, index))


def iter_project_flows(spec: EnvSpec, project: ProjectPlan) -> Iterator[Flow]:
    """The flows of ``project`` one at a time, in id order (never all in memory)."""
    for index in project.flow_indexes:
        yield generate_flow(spec, index)


def has_schedules(spec: EnvSpec) -> bool:
    """Whether flows of ``spec`` get cron schedules: a schedule window, or shape ``profile``
    (whose flows draw theirs from the profile)."""
    return spec.schedule != "off" or spec.shape_choices[0].kind == PROFILE_SHAPE


def schedule_of(spec: EnvSpec, index: int) -> str | None:
    """The Quartz cron flow ``index`` is scheduled with (None: not scheduled). The one place
    the runner and verify ask: a profile flow's cron is drawn with its graph, so it is read
    off the generated flow; otherwise it follows from the schedule window."""
    if spec.shape_choices[0].kind == PROFILE_SHAPE:
        return generate_flow(spec, index).cron
    return flow_cron(spec, index)

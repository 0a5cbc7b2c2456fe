"""Shape ``profile``: flows whose graphs, schedules and commands are drawn from a profile.

The drawing itself is `azkaban_seeder.profile.synth`; this module names the jobs (the root
after the flow, the others ``<flow>_jNNN``) and fills the spec's command template when the
profile has no job durations. Jobs are always ``type=command``: a test cluster (and the
sandbox) runs only command jobs, so the production job types only choose the durations.
"""

from __future__ import annotations

import random

from azkaban_seeder.flows.model import Flow, Job
from azkaban_seeder.flows.naming import job_id_for
from azkaban_seeder.spec import EnvSpec

JOB_TYPE = "command"


def profiled_flow(
    spec: EnvSpec, index: int, flow_id: str, project: str, rng: random.Random
) -> Flow:
    """Flow ``index`` of a ``profile``-shaped spec, drawn with ``rng`` (its `flow_rng`)."""
    # Imported on first use: pool workers preload this module, and most shapes never need
    # the profile machinery (a tenth of a second of imports at every pool start).
    from azkaban_seeder.profile.synth import synthesizer_for

    synth = synthesizer_for(spec.profile)
    graph = synth.graph(rng)
    cron = synth.cron(rng)
    commands = synth.commands(rng, len(graph))
    names = {n: flow_id if n == 0 else job_id_for(flow_id, n) for n, _ in graph}
    jobs = []
    for position, (number, upstream) in enumerate(graph):
        name = names[number]
        command = (
            commands[position]
            if commands is not None
            else spec.command.format(project=project, flow=flow_id, job=name, index=index)
        )
        deps = tuple(sorted(names[u] for u in upstream))
        jobs.append(Job(name=name, type=JOB_TYPE, command=command, dependencies=deps))
    return Flow(flow_id, tuple(jobs), cron)

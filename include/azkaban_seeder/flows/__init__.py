"""Flow model, naming, shapes and schedule times; see `generate_flow`."""

from __future__ import annotations

from azkaban_seeder.flows.generate import (
    flow_rng,
    generate_flow,
    has_schedules,
    iter_project_flows,
    schedule_of,
)
from azkaban_seeder.flows.model import Flow, Job
from azkaban_seeder.flows.naming import expected_flow_ids, flow_id_for, job_id_for
from azkaban_seeder.flows.schedule import flow_cron

__all__ = [
    "Flow",
    "Job",
    "expected_flow_ids",
    "flow_cron",
    "flow_id_for",
    "flow_rng",
    "generate_flow",
    "has_schedules",
    "iter_project_flows",
    "job_id_for",
    "schedule_of",
]

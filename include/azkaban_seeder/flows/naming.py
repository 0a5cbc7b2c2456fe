"""Names of flows and jobs, fixed-width so they sort in generation order.

Flow ids are global across the environment (``flow_000123`` is flow 123 of the whole spec), so
they are unique across every project and stable when ``flows_per_project`` changes. The root job
carries the flow id (Flow 1.0 names a flow after its root job); other jobs append ``_jNNN``.
"""

from __future__ import annotations

from azkaban_seeder.plan import ProjectPlan

FLOW_ID_WIDTH = 6  # EnvSpec allows at most 1,000,000 flows: indexes 0..999999
MAX_ID_LENGTH = 128


def flow_id_for(index: int) -> str:
    """Id of global flow ``index``, e.g. ``flow_000123``."""
    if not 0 <= index < 10**FLOW_ID_WIDTH:
        raise ValueError(f"flow index out of range: {index}")
    return f"flow_{index:0{FLOW_ID_WIDTH}d}"


def job_id_for(flow_id: str, number: int) -> str:
    """Id of non-root job ``number`` (1-based) of ``flow_id``, e.g. ``flow_000123_j001``."""
    return f"{flow_id}_j{number:03d}"


def expected_flow_ids(project: ProjectPlan) -> set[str]:
    """The flow ids Azkaban must list for ``project`` after a successful upload."""
    return {flow_id_for(i) for i in project.flow_indexes}

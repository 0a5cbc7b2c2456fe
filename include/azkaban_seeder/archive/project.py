"""Write one project's zip, streaming its flows one at a time.

The zip is what ``POST /manager`` (``ajax=upload``, multipart field ``file``) receives. Flows are
generated, serialised and compressed one by one, so memory stays flat however many flows a
project holds, and the bytes depend only on the spec and the project plan.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from typing import Any, BinaryIO

from azkaban_seeder.archive.deterministic import DeterministicZip
from azkaban_seeder.archive.flow1 import flow1_entries
from azkaban_seeder.archive.flow2 import (
    PROJECT_FILE_TEXT,
    flow_file_name,
    flow_yaml_text,
    project_file_name,
)
from azkaban_seeder.flows.generate import iter_project_flows
from azkaban_seeder.plan import ProjectPlan
from azkaban_seeder.spec import EnvSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ZipSummary:
    """What a written zip holds: its size in bytes, flow and job counts, SHA-256 hex digest."""

    bytes: int
    flows: int
    jobs: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "flows": self.flows, "jobs": self.jobs, "sha256": self.sha256}


def _write_flow1(spec: EnvSpec, project: ProjectPlan, zf: DeterministicZip) -> tuple[int, int]:
    flows = jobs = 0
    for flow in iter_project_flows(spec, project):
        for name, data in flow1_entries(flow):
            zf.add(name, data)
        flows += 1
        jobs += len(flow.jobs)
    return flows, jobs


def _write_flow2(spec: EnvSpec, project: ProjectPlan, zf: DeterministicZip) -> tuple[int, int]:
    # The .project entry is merged into the sorted stream wherever its name falls.
    pending: str | None = project_file_name(project.name)
    flows = jobs = 0
    for flow in iter_project_flows(spec, project):
        name = flow_file_name(flow)
        if pending is not None and pending < name:
            zf.add(pending, PROJECT_FILE_TEXT.encode())
            pending = None
        zf.add(name, flow_yaml_text(flow).encode("utf-8"))
        flows += 1
        jobs += len(flow.jobs)
    if pending is not None:
        zf.add(pending, PROJECT_FILE_TEXT.encode())
    return flows, jobs


def _write(
    spec: EnvSpec,
    project: ProjectPlan,
    out: BinaryIO,
    keep: list[tuple[str, bytes]] | None = None,
) -> ZipSummary:
    with DeterministicZip(out, keep) as zf:
        if spec.flow_format == "2.0":
            flows, jobs = _write_flow2(spec, project, zf)
        else:
            flows, jobs = _write_flow1(spec, project, zf)
    summary = ZipSummary(zf.size, flows, jobs, zf.sha256)
    logger.debug("wrote %s: %s flows, %s jobs, %s bytes", project.name, flows, jobs, zf.size)
    return summary


def write_project_zip(
    spec: EnvSpec,
    project: ProjectPlan,
    out: BinaryIO | str | os.PathLike[str],
    *,
    keep: list[tuple[str, bytes]] | None = None,
) -> ZipSummary:
    """Write the zip of ``project`` to a binary stream or a file path (overwritten);
    ``keep`` receives every ``(name, data)`` entry written, in order."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "wb") as fh:
            return _write(spec, project, fh, keep)
    return _write(spec, project, out, keep)


def build_project_zip_bytes(
    spec: EnvSpec, project: ProjectPlan, *, keep: list[tuple[str, bytes]] | None = None
) -> tuple[bytes, ZipSummary]:
    """The zip of ``project`` in memory, with its summary; ``keep``: as in
    `write_project_zip`."""
    buffer = io.BytesIO()
    summary = _write(spec, project, buffer, keep)
    return buffer.getvalue(), summary

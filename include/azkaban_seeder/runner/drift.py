"""The drift check: which projects of a shard must be uploaded, before any worker starts.

A project is **unchanged** when the file the server hands back on download is the one we
would upload now (`worker.upload_name`: the project name plus a digest of everything its zip is
made from). The check reads, for one shard:

- ``GET /index ajax=fetchallprojects`` once: a project that is not on the server is to be
  created, with nothing to compare;
- ``GET /manager download`` (headers only) per project that is there, on `THREADS` reader
  threads.

So an unchanged environment never starts a worker pool, and a drifted one starts it for the
drifted projects only. Skipping writes nothing, so it needs no ownership read (the preflight
checks every existing planned project; an upload still checks). A project whose check failed
(timeouts, a refused read) is handed to its worker undecided: the worker compares it again
under its own retries.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from azkaban_seeder.azkaban import (
    THREADS,
    AzkabanClient,
    AzkabanError,
    ClientPerThread,
    ConnectionSettings,
    HealthBoard,
    RetryPolicy,
)
from azkaban_seeder.plan import ProjectPlan
from azkaban_seeder.runner.results import ProjectResult
from azkaban_seeder.runner.worker import content_key, retry_policy, upload_name
from azkaban_seeder.spec import EnvSpec, RunOptions

logger = logging.getLogger(__name__)

#: Read timeout of the one project-list request (a shortcut must not cost an outage).
LIST_TIMEOUT = 10.0


@dataclass
class Drift:
    """The outcome of a drift check: skipped projects (results), the projects to build, and
    those of them the worker must still compare itself (their check did not answer)."""

    skipped: dict[str, ProjectResult] = field(default_factory=dict)
    todo: list[ProjectPlan] = field(default_factory=list)
    undecided: set[str] = field(default_factory=set)
    absent: int = 0

    def line(self, label: str) -> str:
        """e.g. ``shard 3: drift check: 98 unchanged (skipped), 2 to upload (1 not on the
        server)``."""
        line = (
            f"{label}: drift check: {len(self.skipped)} unchanged (skipped), "
            f"{len(self.todo)} to upload ({self.absent} not on the server"
        )
        if self.undecided:
            line += f", {len(self.undecided)} not checked: their workers compare"
        return line + ")"


def project_list(
    settings: ConnectionSettings, options: RunOptions, health: HealthBoard
) -> frozenset[str] | None:
    """Lower-cased names of the projects on the server (GET /index ``ajax=fetchallprojects``),
    or None when the list could not be read. One try with a short read timeout."""
    quick = min(settings.timeout, LIST_TIMEOUT, max(1.0, options.outage_seconds))
    with AzkabanClient(
        dataclasses.replace(settings, timeout=quick),
        retry=RetryPolicy(attempts=1, max_seconds=quick + settings.connect_timeout),
        health=health,
    ) as client:
        try:
            return frozenset(p.name.lower() for p in client.fetch_all_projects())
        except AzkabanError as exc:
            logger.warning("could not list the projects (%s); each worker compares", exc)
            return None


def check_drift(
    spec: EnvSpec,
    settings: ConnectionSettings,
    options: RunOptions,
    projects: Sequence[ProjectPlan],
    health: HealthBoard,
    *,
    listing: Callable[[], frozenset[str] | None] | None = None,
) -> Drift:
    """Decide, per project, skip or upload (see the module docstring). ``force``: upload all,
    without a request."""
    if options.force:
        return Drift(todo=list(projects))
    existing = listing() if listing is not None else project_list(settings, options, health)
    if existing is None:
        return Drift(todo=list(projects), undecided={p.name for p in projects})
    present = [p for p in projects if p.name.lower() in existing]
    drift = Drift(absent=len(projects) - len(present))
    stored: dict[str, str | None] = {}
    if present:
        with (
            ClientPerThread(settings, retry_policy(options), health=health) as clients,
            ThreadPoolExecutor(min(THREADS, len(present)), thread_name_prefix="drift") as pool,
        ):
            for name, current in pool.map(lambda p: _stored_as(clients, p.name), present):
                stored[name] = current
    for project in projects:
        if project.name not in stored:  # not on the server
            drift.todo.append(project)
            continue
        current = stored[project.name]
        if current is not None and current == upload_name(project.name, content_key(spec, project)):
            drift.skipped[project.name] = ProjectResult(
                project=project.name, flows=project.flow_count, attempts=1, action="skipped"
            )
            continue
        drift.todo.append(project)
        if current is None:
            drift.undecided.add(project.name)
    return drift


_UNANSWERED = None


def _stored_as(clients: ClientPerThread, name: str) -> tuple[str, str | None]:
    """(project, the file name of its current upload; "" for none, None if unanswered)."""
    try:
        return name, clients.get().uploaded_file_name(name) or ""
    except AzkabanError as exc:
        logger.info("drift check of %s did not answer (%s); its worker compares", name, exc)
        return name, _UNANSWERED

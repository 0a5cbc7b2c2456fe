"""Converging an Azkaban server to a plan: what is in the way, what is left over.

* `preflight`: before the first write, log in and make sure no planned project name is held
  by a project that is not ours (`AzkabanClient.is_ours`); problems are returned as text so
  the CLI can refuse with exit code 2 and the DAG can fail its first task.
* `stale_projects`: our projects of the spec's prefix (``{prefix}_NNNNN``) that the plan no
  longer contains, e.g. after lowering ``flow_count``; teardown deletes them on request.

Both read ``GET /index?ajax=fetchallprojects`` once and the project page ``GET /manager?project=``
(which shows the description and so our marker) per project whose ownership is in question.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from azkaban_seeder.azkaban import (
    THREADS,
    AzkabanClient,
    ClientPerThread,
    ConnectFailed,
    LoginFailed,
    ProjectNotFound,
)
from azkaban_seeder.plan import iter_projects
from azkaban_seeder.spec import EnvSpec
from azkaban_seeder.verify import project_pattern

logger = logging.getLogger(__name__)


def _ownership(clients: ClientPerThread, name: str) -> tuple[str, str | None, bool]:
    """(name, foreign reason or None, still exists)."""
    try:
        return name, clients.get().foreign_reason(name), True
    except ProjectNotFound:
        return name, None, False


def ownership_of(client: AzkabanClient, names: list[str]) -> dict[str, str | None]:
    """Foreign reason (None = ours) for every name that still exists, fetched on 8 threads."""
    with (
        ClientPerThread(client.settings) as clients,
        ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="owner") as pool,
    ):
        checked = list(pool.map(lambda n: _ownership(clients, n), names))
    return {name: reason for name, reason, exists in checked if exists}


def stale_projects(spec: EnvSpec, client: AzkabanClient) -> list[str]:
    """Our projects named ``{prefix}_NNNNN`` that are not in the plan of ``spec``, sorted."""
    planned = {p.name.lower() for p in iter_projects(spec)}
    pattern = project_pattern(spec.prefix)
    candidates = [
        p.name
        for p in client.fetch_all_projects()
        if pattern.fullmatch(p.name) and p.name.lower() not in planned
    ]
    owners = ownership_of(client, candidates)
    stale = sorted(name for name, reason in owners.items() if reason is None)
    if stale:
        logger.info("%d stale project(s) of prefix %s: %s", len(stale), spec.prefix, stale[:5])
    return stale


def preflight(spec: EnvSpec, client: AzkabanClient) -> list[str]:
    """Problems that must stop a build before anything is written (empty list: go ahead)."""
    try:
        client.login()
        existing = {p.name.lower(): p.name for p in client.fetch_all_projects()}
    except LoginFailed as exc:
        return [f"login to {client.settings.url} as {client.settings.user!r} refused: {exc}"]
    except ConnectFailed as exc:
        return [f"cannot reach Azkaban at {client.settings.url}: {exc}"]
    taken = [existing[p.name.lower()] for p in iter_projects(spec) if p.name.lower() in existing]
    owners = ownership_of(client, taken)
    return [
        f"project {name} already exists and is not ours ({reason}); "
        "pick another --prefix or remove it by hand"
        for name, reason in sorted(owners.items())
        if reason is not None
    ]

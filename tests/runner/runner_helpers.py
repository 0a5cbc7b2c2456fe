"""Helpers of the runner tests (small specs, server reads, child-process checks)."""

from __future__ import annotations

import time

import psutil

from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings
from azkaban_seeder.spec import EnvSpec, RunOptions


def small_spec(prefix: str, **overrides: object) -> EnvSpec:
    values: dict[str, object] = {
        "flow_count": 24,
        "flows_per_project": 4,
        "projects_per_shard": 6,
        "prefix": prefix,
    }
    values.update(overrides)
    return EnvSpec.from_mapping(values)


def fast_options(processes: int = 1, **overrides: object) -> RunOptions:
    values: dict[str, object] = {
        "processes": processes,
        "upload_timeout": 15,
        "retry_attempts": 8,
        "retry_max_seconds": 30,
    }
    values.update(overrides)
    return RunOptions.from_mapping(values)


def flows_on_server(settings: ConnectionSettings, names: list[str]) -> dict[str, set[str]]:
    with AzkabanClient(settings) as client:
        return {name: set(client.fetch_project_flows(name)) for name in names}


FORK_SERVER = "multiprocessing.forkserver"


def is_pool_worker(process: psutil.Process) -> bool:
    """A pool worker: a spawn child, or a child of a fork server (which has the server's own
    command line); not the fork server itself and not the resource tracker."""
    command = " ".join(process.cmdline())
    if "spawn_main" in command:
        return True
    if FORK_SERVER not in command:
        return False
    parent = process.parent()
    return parent is not None and FORK_SERVER in " ".join(parent.cmdline())


def spawned_children(pid: int | None = None) -> list[psutil.Process]:
    """Live pool workers among the descendants of ``pid`` (default: this process)."""
    found = []
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    for child in children:
        try:
            if child.is_running() and child.status() != psutil.STATUS_ZOMBIE:
                if is_pool_worker(child):
                    found.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def wait_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    """PIDs still alive (and not zombies) after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _alive(pid)]
        if alive:
            time.sleep(0.1)
    return alive


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

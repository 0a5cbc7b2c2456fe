"""Test-only worker faults, injected through the runner's ``worker_setup`` option.

`crash_on(name)` and `hang_on(name)` run inside a pool worker after its setup (see
`azkaban_seeder.runner.worker.init_worker`) and wrap that process's `WorkerContext.build`: the
worker handling the named project exits at once (as if the OOM killer took it) or sleeps for
an hour. Pass them as ``functools.partial(crash_on, name)``: spawned children unpickle it by
importing this module, so this folder must be on their ``sys.path`` (pytest puts it on ours and
spawn copies ``sys.path``; a driver script gets it through ``PYTHONPATH``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial

from azkaban_seeder.plan import ProjectPlan
from azkaban_seeder.runner.results import ProjectResult
from azkaban_seeder.runner.worker import WorkerContext

HANG_SECONDS = 3600.0
CRASH_EXIT_CODE = 9


def no_fault() -> None:
    """No fault: passing a ``worker_setup`` at all turns the head start off, so every project
    runs on a pool worker."""


def exit_at_start() -> None:
    """A pool initializer that exits at once: the pool breaks before it runs anything."""
    os._exit(CRASH_EXIT_CODE)


def crash_on(project_name: str) -> None:
    """Make this process exit abruptly when it starts building ``project_name``."""
    _before_build(partial(_crash_if, project_name))


def hang_on(project_name: str) -> None:
    """Make this process hang when it starts building ``project_name``."""
    _before_build(partial(_hang_if, project_name))


def _crash_if(victim: str, project_name: str) -> None:
    if project_name == victim:
        os._exit(CRASH_EXIT_CODE)


def _hang_if(victim: str, project_name: str) -> None:
    if project_name == victim:
        time.sleep(HANG_SECONDS)


def _before_build(fault: Callable[[str], None]) -> None:
    original = WorkerContext.build

    def build(self: WorkerContext, project: ProjectPlan, *, compare: bool = True) -> ProjectResult:
        fault(project.name)
        return original(self, project, compare=compare)

    WorkerContext.build = build  # type: ignore[method-assign]

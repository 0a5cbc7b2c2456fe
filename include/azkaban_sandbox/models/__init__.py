"""State and semantics of the emulated Azkaban web server, one model per area (no HTTP here).

`projects` (names, permissions, create/delete), `uploads` (pre-checks, loading through the
shared `azkaban_seeder.loaders`, persisting versions), `flows` (stored graphs), `schedules`
(cron rules) and `executions` (submit rules, the clock-driven timeline). Models return typed
records or raise the exceptions of `errors.py`; `responses` shapes both into replies.
`Backend` composes them over one store.
"""

from __future__ import annotations

from pathlib import Path

from azkaban_sandbox.clock import SandboxClock
from azkaban_sandbox.costs import CostModel
from azkaban_sandbox.models.executions import ExecutionsModel
from azkaban_sandbox.models.flows import FlowsModel
from azkaban_sandbox.models.projects import ProjectsModel
from azkaban_sandbox.models.schedules import SchedulesModel
from azkaban_sandbox.models.uploads import UploadsModel
from azkaban_sandbox.store import Store
from azkaban_sandbox.users import UserManager


class Backend:
    """The area models of one sandbox, sharing a store, a clock and the users."""

    def __init__(
        self,
        store: Store,
        clock: SandboxClock,
        *,
        users: UserManager,
        files_dir: Path,
        costs: CostModel,
        execution_step_seconds: float = 2.0,
    ) -> None:
        self.users = users
        self.projects = ProjectsModel(store.projects, clock, users)
        self.flows = FlowsModel(store.projects)
        self.uploads = UploadsModel(self.projects, clock, costs, files_dir)
        self.schedules = SchedulesModel(self.projects, self.flows, store.schedules, clock)
        self.executions = ExecutionsModel(
            self.projects, self.flows, store.executions, clock, execution_step_seconds
        )

"""`apply`: run every shard of a plan one after another (the CLI path).

Airflow maps shards to tasks and calls `run_shard` per task instead. Re-running `apply` after
a crash converges to the plan: `ensure_project` accepts our own existing projects, and each
upload replaces the project's whole flow set (docs/azkaban-reference.md §6.2).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from azkaban_seeder.azkaban import ConnectionSettings, HealthBoard
from azkaban_seeder.plan import Shard, plan_shards
from azkaban_seeder.runner.results import ProjectResult, ShardResult
from azkaban_seeder.runner.shard import ProgressCallback, ShardRunner
from azkaban_seeder.runner.worker import WorkerSetup
from azkaban_seeder.spec import EnvSpec, RunOptions

logger = logging.getLogger(__name__)


@dataclass
class ApplyResult:
    """All shard results of one `apply` run, in shard order."""

    shards: list[ShardResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[ProjectResult]:
        return [p for shard in self.shards for p in shard.failed]

    @property
    def ok(self) -> bool:
        return all(shard.ok for shard in self.shards)

    @property
    def flows(self) -> int:
        return sum(shard.flows for shard in self.shards)

    def to_dict(self) -> dict[str, Any]:
        return {
            "shards": [shard.to_dict() for shard in self.shards],
            "seconds": self.seconds,
            "flows": self.flows,
            "failed": len(self.failed),
        }


def apply(
    spec: EnvSpec,
    settings: ConnectionSettings,
    options: RunOptions,
    *,
    shards: list[Shard] | None = None,
    on_progress: ProgressCallback | None = None,
    worker_setup: WorkerSetup | None = None,
    health: HealthBoard | None = None,
) -> ApplyResult:
    """Upload every planned project (or only ``shards``), shard after shard.

    A failed shard does not stop the next one: every failure ends up in the result, and a
    re-run converges. ``worker_setup``: see `ShardRunner`.
    """
    started = time.monotonic()
    todo = plan_shards(spec) if shards is None else list(shards)
    outcome = ApplyResult()
    largest = max((len(s.projects) for s in todo), default=1)
    processes = max(1, min(options.processes, largest))
    # One worker setup for all shards: pool workers and their logins are reused.
    with ShardRunner(
        spec, settings, options, processes=processes, worker_setup=worker_setup, health=health
    ) as runner:
        for shard in todo:
            outcome.shards.append(runner.run(shard, on_progress))
    outcome.seconds = round(time.monotonic() - started, 3)
    logger.info(
        "apply: %d shard(s), %d flows, %d failed project(s) in %.1fs",
        len(outcome.shards),
        outcome.flows,
        len(outcome.failed),
        outcome.seconds,
    )
    return outcome

"""The process-pool runner: per shard, build, check and upload projects; `apply` for all."""

from __future__ import annotations

from azkaban_seeder.runner.apply import ApplyResult, apply
from azkaban_seeder.runner.results import ProjectResult, ShardResult
from azkaban_seeder.runner.shard import ShardRunner, project_timeout, run_shard

__all__ = [
    "ApplyResult",
    "ProjectResult",
    "ShardResult",
    "ShardRunner",
    "apply",
    "project_timeout",
    "run_shard",
]

"""Under injected faults (20% of requests) the result is still exact, and retries show up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from runner_helpers import fast_options, flows_on_server, small_spec

from azkaban_seeder.azkaban import ConnectionSettings
from azkaban_seeder.flows import expected_flow_ids
from azkaban_seeder.plan import plan_projects, plan_shards
from azkaban_seeder.runner import run_shard


@pytest.fixture
def faults(sandbox: Any) -> Iterator[None]:
    reply = requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={
            "rate": 0.2,
            "seed": 11,
            "kinds": ["http500", "http503", "drop", "session", "slow"],
            "slow_seconds": 0.2,
        },
        timeout=10,
    )
    reply.raise_for_status()
    yield
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"rate": 0.0}, timeout=10)


@pytest.mark.parametrize("processes", [1, 2])
def test_faults_still_end_exact_with_retries_counted(
    settings: ConnectionSettings, prefix: str, faults: None, processes: int
) -> None:
    spec = small_spec(prefix)
    shard = plan_shards(spec)[0]

    result = run_shard(spec, shard, settings, fast_options(processes))

    assert result.ok, result.to_dict()
    retries = result.retries()
    assert sum(retries.values()) > 0, result.to_dict()
    assert sum(p.attempts for p in result.projects) > 2 * len(shard.projects)
    projects = plan_projects(spec)
    actual = flows_on_server(settings, [p.name for p in projects])
    assert all(actual[p.name] == expected_flow_ids(p) for p in projects)

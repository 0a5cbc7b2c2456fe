"""`runner.drift`: what a shard must upload is decided before any worker starts."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from runner_helpers import fast_options, small_spec

from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, LocalHealth
from azkaban_seeder.plan import plan_shards
from azkaban_seeder.runner import ShardRunner, apply
from azkaban_seeder.runner.drift import check_drift


def test_an_unchanged_shard_starts_no_worker_pool(
    settings: ConnectionSettings, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    spec = small_spec(prefix)
    options = fast_options(3)
    apply(spec, settings, options)
    (shard,) = plan_shards(spec)

    caplog.set_level(logging.INFO, logger="azkaban_seeder")
    with ShardRunner(spec, settings, options) as runner:
        result = runner.run(shard)
        assert runner._executor is None  # nothing to build: no pool was started
    assert [p.action for p in result.projects] == ["skipped"] * 6
    assert result.flows == 24 and result.ok
    assert any(
        "drift check: 6 unchanged (skipped), 0 to upload (0 not on the server)" in r.message
        for r in caplog.records
    )


def test_the_drift_check_sorts_unchanged_changed_and_absent_projects(
    settings: ConnectionSettings, prefix: str
) -> None:
    spec = small_spec(prefix)
    options = fast_options(2)
    apply(spec, settings, options)
    projects = plan_shards(spec)[0].projects
    with AzkabanClient(settings) as client:
        client.delete_project(projects[1].name)
    # Another spec for the same names: other content (other commands) for every project.
    changed = small_spec(prefix, command="echo changed {job}")

    same = check_drift(spec, settings, options, projects, LocalHealth())
    assert sorted(same.skipped) == sorted(p.name for i, p in enumerate(projects) if i != 1)
    assert [p.name for p in same.todo] == [projects[1].name]
    assert (same.absent, same.undecided) == (1, set())

    other = check_drift(changed, settings, options, projects, LocalHealth())
    assert other.skipped == {} and len(other.todo) == 6 and other.absent == 1

    forced = check_drift(spec, settings, fast_options(2, force=True), projects, LocalHealth())
    assert forced.skipped == {} and len(forced.todo) == 6


def test_a_project_list_that_cannot_be_read_leaves_the_workers_to_compare(
    settings: ConnectionSettings, prefix: str
) -> None:
    spec = small_spec(prefix)
    projects = plan_shards(spec)[0].projects
    drift = check_drift(
        spec, settings, fast_options(2), projects, LocalHealth(), listing=lambda: None
    )
    assert drift.skipped == {} and len(drift.todo) == 6
    assert drift.undecided == {p.name for p in projects}


def test_a_drift_check_that_does_not_answer_is_undecided(
    sandbox: Any, settings: ConnectionSettings, prefix: str
) -> None:
    spec = small_spec(prefix)
    options = fast_options(2, retry_attempts=1, retry_max_seconds=2)
    apply(spec, settings, fast_options(2))
    projects = plan_shards(spec)[0].projects
    existing = frozenset(p.name.lower() for p in projects)
    sandbox.server.controls.set_faults(rate=1.0, kinds=["http500"])
    try:
        drift = check_drift(
            spec, settings, options, projects, LocalHealth(), listing=lambda: existing
        )
    finally:
        sandbox.server.controls.set_faults(rate=0.0)
    assert drift.skipped == {}
    assert drift.undecided == {p.name for p in projects}

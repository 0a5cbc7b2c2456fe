"""Worker log records reach the parent's loggers at their own level, naming worker and project.

Regression (issue 9): spawned workers logged to their own stderr, which an Airflow task log
shows as unformatted text at ERROR level.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from runner_helpers import fast_options, small_spec

from azkaban_seeder.azkaban import ConnectionSettings
from azkaban_seeder.plan import plan_shards
from azkaban_seeder.runner import ShardRunner, run_shard, worker_logs


@pytest.fixture
def retry_faults(sandbox: Any) -> Iterator[None]:
    """503s on a third of the requests: every worker logs retry warnings."""
    body = {"rate": 0.3, "seed": 5, "kinds": ["http503"]}
    requests.post(f"{sandbox.url}/_sandbox/faults", json=body, timeout=10).raise_for_status()
    yield
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"rate": 0.0}, timeout=10)


def _forwarders() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "worker-log-forwarder"]


@pytest.mark.parametrize("processes", [1, 2])
def test_worker_warnings_reach_the_parent_at_warning_with_the_project(
    settings: ConnectionSettings,
    prefix: str,
    retry_faults: None,
    processes: int,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO, logger="azkaban_seeder")
    spec = small_spec(prefix)

    result = run_shard(spec, plan_shards(spec)[0], settings, fast_options(processes))

    assert result.ok, result.to_dict()
    retried = [r for r in caplog.records if "failed (http_503" in r.getMessage()]
    assert retried, [r.getMessage() for r in caplog.records]
    assert {r.levelno for r in retried} == {logging.WARNING}
    assert all(r.name.startswith("azkaban_seeder.") for r in retried)
    if processes > 1:
        # A pool worker's records are re-emitted in the parent: the worker's name and its
        # project lead the message. Projects the runner built itself while the pool started
        # (`headstart`) log in the parent directly, from a head-start thread.
        forwarded = [r for r in retried if r.processName != "MainProcess"]
        direct = [r for r in retried if r.processName == "MainProcess"]
        assert all(r.threadName.startswith("head-start-") for r in direct)
        workers = {r.processName for r in forwarded}
        assert len(workers) <= 2 and all(w.startswith("ForkServerProcess-") for w in workers)
        assert all(r.getMessage().startswith("[ForkServerProcess-") for r in forwarded)
        assert all(f" {prefix}_0000" in r.getMessage().split("]")[0] for r in forwarded)
    # Nothing reaches stderr on its own (a task log would show it as ERROR).
    assert "http_503" not in capfd.readouterr().err
    assert _forwarders() == []


@pytest.mark.parametrize(
    ("processes", "flow_count", "expected"),
    [
        (4, 8, "2 projects, 8 flows, 4 processes requested, 2 used: only 2 projects"),
        (2, 24, "6 projects, 24 flows, 2 processes requested, 2 used"),
        (1, 8, "2 projects, 8 flows, 1 process requested, 1 used (in this process)"),
    ],
)
def test_one_header_line_per_shard_says_processes_requested_and_used(
    settings: ConnectionSettings,
    prefix: str,
    processes: int,
    flow_count: int,
    expected: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="azkaban_seeder")
    spec = small_spec(prefix, flow_count=flow_count)
    shard = plan_shards(spec)[0]
    with ShardRunner(spec, settings, fast_options(processes)) as runner:
        assert runner.header(shard).endswith(expected)
    used = min(processes, len(shard.projects))
    with ShardRunner(spec, settings, fast_options(processes), processes=used) as runner:
        runner.run(shard)
    headers = [m for r in caplog.records if " requested, " in (m := r.getMessage())]
    assert headers == [f"shard {shard.label}: {expected}"]


def test_a_full_queue_drops_records_instead_of_blocking_the_worker() -> None:
    log_queue = multiprocessing.get_context("spawn").Queue(1)
    handler = worker_logs._DroppingQueueHandler(log_queue)
    record = logging.LogRecord("azkaban_seeder.x", logging.INFO, __file__, 1, "m %s", ("a",), None)
    started = time.monotonic()
    for _ in range(3):
        handler.emit(record)
    assert time.monotonic() - started < 1.0
    assert handler.dropped >= 1
    log_queue.close()
    log_queue.cancel_join_thread()


def test_the_forwarder_drains_then_stops_within_its_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="azkaban_seeder")
    forwarder = worker_logs.LogForwarder(worker_logs.make_queue()).start()
    for i in range(5):
        forwarder.queue.put(
            logging.LogRecord("azkaban_seeder.t", logging.INFO, __file__, 1, f"r{i}", (), None)
        )
    started = time.monotonic()
    forwarder.stop(timeout=5.0)
    assert time.monotonic() - started < 5.0
    assert [r.getMessage() for r in caplog.records if r.name == "azkaban_seeder.t"] == [
        f"r{i}" for i in range(5)
    ]
    assert _forwarders() == []


def test_stopping_an_idle_forwarder_does_not_wait_for_its_poll(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With a poll far longer than the stop bound, only the sentinel can end the thread.
    monkeypatch.setattr(worker_logs, "POLL_SECONDS", 60.0)
    forwarder = worker_logs.LogForwarder(worker_logs.make_queue()).start()
    forwarder.stop(timeout=10.0)
    assert _forwarders() == []

"""The head start: the runner's own process builds projects while a fresh pool starts."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from runner_helpers import fast_options, flows_on_server, small_spec, spawned_children
from worker_faults import exit_at_start

from azkaban_seeder.azkaban import ConnectionSettings, LocalHealth
from azkaban_seeder.flows import expected_flow_ids
from azkaban_seeder.plan import plan_projects, plan_shards
from azkaban_seeder.runner import ShardRunner, pool
from azkaban_seeder.runner.headstart import HeadStart
from azkaban_seeder.runner.worker import ready


def _head_start_counts(caplog: pytest.LogCaptureFixture) -> list[int]:
    return [
        int(r.getMessage().split(": ")[1].split()[0])
        for r in caplog.records
        if "built in this process while the pool started" in r.getMessage()
    ]


def test_a_fresh_pool_gets_a_head_start_and_the_result_is_exact(
    settings: ConnectionSettings, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="azkaban_seeder")
    spec = small_spec(prefix, flow_count=40, projects_per_shard=5)  # 10 projects, 2 shards
    built_by: dict[str, str] = {}
    with ShardRunner(spec, settings, fast_options(2), processes=2) as runner:
        for shard in plan_shards(spec):
            result = runner.run(shard)
            assert result.ok, result.to_dict()
        assert spawned_children(), "the pool's workers should be up"
    for record in caplog.records:
        if record.getMessage().startswith("azkaban: logged in"):
            built_by[record.threadName] = record.processName

    projects = plan_projects(spec)
    actual = flows_on_server(settings, [p.name for p in projects])
    assert all(actual[p.name] == expected_flow_ids(p) for p in projects)
    # Only the fresh pool (first shard) gets a head start; the second shard reuses the pool.
    counts = _head_start_counts(caplog)
    assert len(counts) == 1 and 1 <= counts[0] <= 5, counts
    assert any(name.startswith("head-start-") for name in built_by), built_by


def test_head_start_threads_and_pool_workers_never_exceed_processes_at_the_server(
    sandbox: Any, settings: ConnectionSettings, prefix: str
) -> None:
    """Concurrency at the server stays ``processes`` through the hand-over from the
    head-start threads to the pool (the sliding window spans both lanes): every upload takes
    150 ms, so the run reaches its cap, and no more than 2 requests are ever in flight."""
    spec = small_spec(prefix, flow_count=48, projects_per_shard=12)  # 12 projects, one shard
    sandbox.server.controls.set_costs(base_ms=150.0)
    sandbox.server.controls.reset_stats()
    with ShardRunner(spec, settings, fast_options(2), processes=2) as runner:
        result = runner.run(plan_shards(spec)[0])

    assert result.ok, result.to_dict()
    assert sandbox.server.controls.stats()["in_flight_max"] == 2
    projects = plan_projects(spec)
    actual = flows_on_server(settings, [p.name for p in projects])
    assert all(actual[p.name] == expected_flow_ids(p) for p in projects)


def test_without_a_head_start_a_test_worker_setup_still_reaches_every_project(
    settings: ConnectionSettings, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="azkaban_seeder")
    spec = small_spec(prefix, flow_count=8)
    with ShardRunner(spec, settings, fast_options(2), processes=2, worker_setup=_noop) as runner:
        assert runner.run(plan_shards(spec)[0]).ok
    assert _head_start_counts(caplog) == []


def _noop() -> None:
    """A worker_setup that does nothing (module level: it crosses to the pool by pickling)."""


def test_a_pool_that_breaks_while_warming_is_reported_up_so_the_next_submit_raises(
    tmp_path: object,
) -> None:
    spec = small_spec("headstart")
    settings = ConnectionSettings(url="http://127.0.0.1:9", user="u", password="p")
    context = pool.multiprocessing.get_context(pool.START_METHOD)
    executor = ProcessPoolExecutor(max_workers=2, mp_context=context, initializer=exit_at_start)
    head = HeadStart(spec, settings, fast_options(2), str(tmp_path), LocalHealth(), threads=2)
    try:
        head.warm(executor, 2)
        deadline = time.monotonic() + 60
        while not head.pool_up() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert head.pool_up()
        with pytest.raises(BrokenProcessPool), pool.hidden_main():
            executor.submit(ready).result(timeout=60)
    finally:
        head.stop()
        pool.terminate_workers(executor)


def test_hidden_main_stays_hidden_until_the_last_thread_leaves() -> None:
    main = sys.modules["__main__"]
    before = main.__dict__.get("__file__")
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with pool.hidden_main():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with pool.hidden_main():
        thread.start()
        assert entered.wait(10)
    # This thread left first: the other one is still starting children.
    assert "__file__" not in main.__dict__
    release.set()
    thread.join(10)
    assert main.__dict__.get("__file__") == before


# A fresh interpreter (so a fresh fork server, slow to start): a shard so small that the head
# start builds all of it before the pool's first worker is up.
TINY_SHARD = textwrap.dedent(
    """
    import json, logging, sys
    from azkaban_seeder.azkaban import ConnectionSettings
    from azkaban_seeder.plan import plan_shards
    from azkaban_seeder.runner import run_shard
    from azkaban_seeder.spec import EnvSpec, RunOptions

    logging.basicConfig(level=logging.INFO)
    spec = EnvSpec(flow_count=2, flows_per_project=1, prefix=sys.argv[2])
    settings = ConnectionSettings(url=sys.argv[1], user="azkaban", password="azkaban")
    result = run_shard(spec, plan_shards(spec)[0], settings, RunOptions(processes=2))
    print(json.dumps(result.to_dict()))
    """
)


def test_a_shard_done_before_its_pool_is_up_stops_the_starting_workers_quietly(
    settings: ConnectionSettings, prefix: str, tmp_path: Path
) -> None:
    """Regression: the warm-up thread was still starting a worker when the shard ended; that
    worker started after the pool's queues were gone and printed a FileNotFoundError
    traceback (a task log showed it as ERROR)."""
    script = tmp_path / "tiny.py"
    script.write_text(TINY_SHARD)
    done = subprocess.run(
        [sys.executable, str(script), settings.url, prefix],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["projects"][1]["error"] is None
    assert "built in this process while the pool started" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr

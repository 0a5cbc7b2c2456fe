"""How the pool fails: dead workers, hung projects, SIGTERM, a killed parent, a re-run __main__."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import Any

import psutil
import pytest
from runner_helpers import fast_options, flows_on_server, small_spec, spawned_children, wait_gone
from worker_faults import crash_on, exit_at_start, hang_on, no_fault

from azkaban_seeder.azkaban import ConnectionSettings
from azkaban_seeder.flows import expected_flow_ids
from azkaban_seeder.plan import plan_projects, plan_shards
from azkaban_seeder.runner import ShardResult, apply, pool, run_shard
from azkaban_seeder.runner import shard as shard_module
from azkaban_seeder.runner.worker import ready

HERE = Path(__file__).resolve().parent

# A driver script run as `python script.py URL PREFIX`. Deliberately WITHOUT an
# `if __name__ == "__main__"` guard: like Airflow's console script, re-running it in a child
# would start a pool from inside the child. Only `hidden_main` keeps children from doing so.
# DRIVER_HANG_ON=<project> makes the worker building that project hang (`worker_faults`).
DRIVER = textwrap.dedent(
    """
    import json, logging, os, signal, sys
    from functools import partial
    from worker_faults import hang_on
    from azkaban_seeder.azkaban import ConnectionSettings
    from azkaban_seeder.plan import plan_shards
    from azkaban_seeder.runner import run_shard
    from azkaban_seeder.spec import EnvSpec, RunOptions

    logging.basicConfig(level=logging.INFO)
    url, prefix = sys.argv[1], sys.argv[2]
    if os.environ.get("DRIVER_PREVIOUS_HANDLER"):
        # Like Airflow's task runner: a SIGTERM handler that calls on_kill() and returns.
        signal.signal(signal.SIGTERM, lambda *_: print("previous handler ran", file=sys.stderr))
    spec = EnvSpec(flow_count=12, flows_per_project=2, projects_per_shard=6, prefix=prefix)
    settings = ConnectionSettings(url=url, user="azkaban", password="azkaban", timeout=15.0)
    options = RunOptions(processes=2, upload_timeout=15.0, retry_max_seconds=30.0)
    victim = os.environ.get("DRIVER_HANG_ON")
    setup = partial(hang_on, victim) if victim else None
    result = run_shard(spec, plan_shards(spec)[0], settings, options, worker_setup=setup)
    print(json.dumps(result.to_dict()))
    sys.exit(0 if result.ok else 1)
    """
)


def _start_driver(
    tmp_path: Path, url: str, prefix: str, env: dict[str, str]
) -> subprocess.Popen[str]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    # The driver and its spawned workers import `worker_faults` from this folder.
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, str(script), url, prefix],
        env={**os.environ, "PYTHONPATH": path, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_children(pid: int, count: int, seconds: float = 60.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = spawned_children(pid)
        if len(children) >= count:
            return [c.pid for c in children]
        time.sleep(0.2)
    raise AssertionError(f"pool of pid {pid} never reached {count} workers")


def test_dead_worker_fails_the_shard_fast_naming_the_project(
    settings: ConnectionSettings, prefix: str
) -> None:
    spec = small_spec(prefix)
    shard = plan_shards(spec)[0]
    victim = shard.projects[2].name

    started = time.monotonic()
    result = run_shard(
        spec, shard, settings, fast_options(2), worker_setup=partial(crash_on, victim)
    )
    elapsed = time.monotonic() - started

    assert result.error is not None
    assert "worker process died" in result.error and victim in result.error
    by_name = {p.project: p for p in result.projects}
    assert victim in (by_name[victim].error or "")
    assert all(p.error is None or "worker process died" in p.error for p in result.projects)
    assert elapsed < 60, f"a dead worker took {elapsed:.1f}s to fail the shard"
    assert spawned_children() == []


@pytest.mark.parametrize("head_start", [False, True], ids=["pool only", "with head start"])
def test_a_pool_broken_before_a_submit_still_gives_every_project_a_result(
    settings: ConnectionSettings, prefix: str, monkeypatch: pytest.MonkeyPatch, head_start: bool
) -> None:
    # A worker can die between the runner's last wait and its next submit; the submit then
    # raises. Made certain here: the runner gets a pool that is broken already.
    context = pool.multiprocessing.get_context(pool.START_METHOD)
    broken = ProcessPoolExecutor(max_workers=2, mp_context=context, initializer=exit_at_start)
    with pytest.raises(BrokenProcessPool), pool.hidden_main():
        broken.submit(ready).result(timeout=60)
    monkeypatch.setattr(pool, "make_executor", lambda *args, **kwargs: broken)
    spec = small_spec(prefix)
    shard = plan_shards(spec)[0]

    result = run_shard(
        spec, shard, settings, fast_options(2), worker_setup=None if head_start else no_fault
    )

    assert [p.project for p in result.projects] == [p.name for p in shard.projects]
    assert result.error is not None and "a worker process died" in result.error
    unbuilt = [p for p in result.projects if p.error is not None]
    assert unbuilt, "a broken pool built every project"
    assert all(p.error.startswith("not started: ") for p in unbuilt if p.error)
    if not head_start:
        assert len(unbuilt) == len(shard.projects)
    built = {p.project for p in result.projects if p.error is None}
    assert flows_on_server(settings, sorted(built)) == {
        p.name: set(expected_flow_ids(p)) for p in shard.projects if p.name in built
    }
    assert spawned_children() == []


def test_hung_project_hits_its_deadline_and_stops_the_shard(
    settings: ConnectionSettings, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = small_spec(prefix)
    shard = plan_shards(spec)[0]
    # Project 2 starts after the first wave (which gets the start-up allowance).
    victim = shard.projects[2].name
    monkeypatch.setattr(shard_module, "project_timeout", lambda *args, **kwargs: 3.0)
    monkeypatch.setattr(shard_module, "STARTUP_ALLOWANCE", 30.0)

    result = run_shard(
        spec, shard, settings, fast_options(2), worker_setup=partial(hang_on, victim)
    )

    assert result.error is not None
    assert "exceeded the per-project timeout" in result.error and victim in result.error
    assert "timeout" in ({p.project: p for p in result.projects}[victim].error or "")
    assert spawned_children() == []


def test_projects_abandoned_while_retrying_keep_their_attempts_and_retries(
    sandbox: Any, settings: ConnectionSettings, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every request fails with HTTP 500 (retried), so both pool workers are still retrying
    when their projects' deadline passes; the results of those abandoned projects carry what
    their workers had tried (read from the workers' notes), not zeros."""
    spec = small_spec(prefix)
    shard = plan_shards(spec)[0]
    monkeypatch.setattr(shard_module, "project_timeout", lambda *args, **kwargs: 4.0)
    monkeypatch.setattr(shard_module, "STARTUP_ALLOWANCE", 3.0)
    sandbox.server.controls.set_faults(rate=1.0, kinds=["http500"])
    try:
        result = run_shard(spec, shard, settings, fast_options(2), worker_setup=no_fault)
    finally:
        sandbox.server.controls.set_faults(rate=0.0)

    assert result.error is not None and "exceeded the per-project timeout" in result.error
    abandoned = [p for p in result.projects if p.error == result.error]
    assert all(
        (p.error or "").startswith("not started") for p in result.projects if p not in abandoned
    )
    assert len(abandoned) == 2, result.to_dict()
    for project in abandoned:
        # Each retry follows a failed attempt; the attempt in progress is not counted yet.
        assert project.retries.get("http_500", 0) >= 1, project.to_dict()
        assert project.attempts >= sum(project.retries.values()), project.to_dict()
    assert sum(result.retries().values()) >= 2
    assert not list(Path(shard_module.tempfile.gettempdir()).glob(f"*/{prefix}*.tried"))
    assert spawned_children() == []


def _sigterm_hung_driver(
    tmp_path: Path, url: str, prefix: str, env: dict[str, str]
) -> tuple[subprocess.Popen[str], list[int], str]:
    """Start a driver whose first project hangs, SIGTERM it once its workers run.

    Returns the finished driver, its worker pids and its stderr.
    """
    proc = _start_driver(tmp_path, url, prefix, {"DRIVER_HANG_ON": f"{prefix}_00000", **env})
    try:
        workers = _wait_for_children(proc.pid, 2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    _out, err = proc.communicate()
    return proc, workers, err


def test_sigterm_terminates_workers_and_exits(tmp_path: Path, sandbox: Any, prefix: str) -> None:
    proc, workers, err = _sigterm_hung_driver(tmp_path, sandbox.url, prefix, {})

    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "terminating pool workers" in err
    assert wait_gone(workers) == []


def test_sigterm_chains_to_a_previous_handler(tmp_path: Path, sandbox: Any, prefix: str) -> None:
    env = {"DRIVER_PREVIOUS_HANDLER": "1"}
    proc, workers, err = _sigterm_hung_driver(tmp_path, sandbox.url, prefix, env)

    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "previous handler ran" in err
    assert wait_gone(workers) == []


def test_workers_die_with_a_killed_parent(tmp_path: Path, sandbox: Any, prefix: str) -> None:
    proc = _start_driver(tmp_path, sandbox.url, prefix, {"DRIVER_HANG_ON": f"{prefix}_00000"})
    try:
        workers = _wait_for_children(proc.pid, 2)
        proc.kill()  # SIGKILL: no handler runs in the parent
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    proc.communicate()

    assert wait_gone(workers, seconds=15) == []


def test_unguarded_main_script_runs_a_spawn_pool(tmp_path: Path, sandbox: Any, prefix: str) -> None:
    """Regression (Airflow 3 LocalExecutor): spawned children re-ran the parent's __main__."""
    proc = _start_driver(tmp_path, sandbox.url, prefix, {})
    out, err = proc.communicate(timeout=120)

    assert proc.returncode == 0, err[-3000:]
    assert '"failed": 0' in out and '"flows": 12' in out
    assert psutil.pid_exists(proc.pid) is False or spawned_children(proc.pid) == []


def test_apply_survives_a_dead_worker_and_a_rerun_converges(
    settings: ConnectionSettings, prefix: str
) -> None:
    spec = small_spec(prefix, projects_per_shard=3)  # 6 projects in 2 shards
    victim = plan_shards(spec)[0].projects[1].name

    crashed = apply(spec, settings, fast_options(2), worker_setup=partial(crash_on, victim))

    first, second = crashed.shards
    assert first.error is not None and victim in first.error
    assert second.ok, "the next shard must run on a fresh pool"
    assert spawned_children() == []

    rerun = apply(spec, settings, fast_options(2))

    assert rerun.ok and rerun.flows == 24
    projects = plan_projects(spec)
    actual = flows_on_server(settings, [p.name for p in projects])
    assert all(actual[p.name] == expected_flow_ids(p) for p in projects)


def test_run_shard_from_a_worker_thread(settings: ConnectionSettings, prefix: str) -> None:
    """`airflow dags test` runs tasks in threads: no signal handler can be installed there."""
    spec = small_spec(prefix, flow_count=8)
    results: list[object] = []
    thread = threading.Thread(
        target=lambda: results.append(
            run_shard(spec, plan_shards(spec)[0], settings, fast_options(2))
        )
    )
    thread.start()
    thread.join(120)

    assert len(results) == 1
    result = results[0]
    assert isinstance(result, ShardResult) and result.ok and result.flows == 8
    assert spawned_children() == []

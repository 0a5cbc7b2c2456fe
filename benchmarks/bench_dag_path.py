"""The DAG path against the engine: floor, rebuild and CLI at one size (prints, never asserts).

On the embedded default (sandbox subprocess, Airflow on SQLite with LocalExecutor, started by
`azkaban_devstack`), one after another:

1. floor: ``azkaban_dag_floor`` (benchmarks/dag_floor/): the rebuild's task graph with tasks
   that do nothing, mapped over as many shards as the rebuild makes; what Airflow costs;
2. rebuild: ``azkaban_env_rebuild`` with ``flow_count`` N (params otherwise the form's
   defaults, or ``--conf``), its run wall (the DAG run's start to end, from the REST API),
   each task's own duration and the idle gaps between tasks;
3. CLI: ``azkaban-seeder apply`` of the same spec (another prefix, same sandbox, its own
   verify included), its process wall.

Then: the ratio rebuild / CLI (target <= 2.0 at 100,000 flows), the rebuild's cost above the
floor, an independent count of the rebuilt flows (plain ``requests``: one fetchprojectflows per
project), the peak RSS of every process of the stack and the sandbox (sampled every 0.5 s by
psutil, grouped by role), and the run's footprint: XCom rows and bytes of the run, the SQLite
database's growth, the run's task-log bytes and lines.

    .venv/bin/python benchmarks/bench_dag_path.py --flows 100000
    .venv/bin/python benchmarks/bench_dag_path.py --flows 1000000 --flows-per-project 1000 \\
        --skip-cli
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
from acceptance_engine import Observer, cli_command

from azkaban_devstack.job import connection_json, sandbox_password, sandbox_process
from azkaban_devstack.stack import EmbeddedAirflow
from azkaban_seeder.spec import EnvSpec

REPO = Path(__file__).resolve().parents[1]
FLOOR_DIR = REPO / "benchmarks" / "dag_floor"
REBUILD, FLOOR = "azkaban_env_rebuild", "azkaban_dag_floor"
USER = "azkaban"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--flows", type=int, default=100_000)
    p.add_argument("--flows-per-project", type=int, default=100)
    p.add_argument("--conf", default="{}", help="extra rebuild params as JSON")
    p.add_argument("--cli-processes", type=int, default=4)
    p.add_argument("--max-parallel-shards", type=int, default=None)
    p.add_argument("--skip-floor", action="store_true")
    p.add_argument("--skip-cli", action="store_true")
    p.add_argument("--keep", type=Path, default=None, help="keep the work dir here")
    p.add_argument("--timeout", type=float, default=3600.0)
    return p


# --------------------------------------------------------------------------- RSS


def _role(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return "?"
    for needle, role in (
        ("azkaban_sandbox", "sandbox"),
        ("forkserver", "pool fork server"),
        ("multiprocessing", "pool worker / resource tracker"),
        ("api-server", "api-server"),
        ("scheduler", "scheduler (+ LocalExecutor workers)"),
        ("dag-processor", "dag-processor"),
        ("triggerer", "triggerer"),
        ("supervise", "task supervisor"),
        ("azkaban-seeder", "CLI"),
        ("azkaban_seeder.cli", "CLI"),
    ):
        if needle in cmd:
            return role
    return "airflow task / other"


class RssSampler:
    """Peak RSS per process (and per role) of this process's descendants."""

    def __init__(self) -> None:
        self.peak: dict[int, tuple[int, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.5):
            for proc in me.children(recursive=True):
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                old = self.peak.get(proc.pid)
                if old is None or rss > old[0]:
                    self.peak[proc.pid] = (rss, old[1] if old else _role(proc))

    def by_role(self) -> dict[str, tuple[int, int]]:
        """role -> (largest single process, number of processes seen)."""
        roles: dict[str, list[int]] = defaultdict(list)
        for rss, role in self.peak.values():
            roles[role].append(rss)
        return {role: (max(values), len(values)) for role, values in roles.items()}


# --------------------------------------------------------------------------- runs


@dataclass
class DagRun:
    dag_id: str
    run_id: str
    state: str
    wall: float
    tasks: list[dict[str, Any]] = field(default_factory=list)


def _ts(value: str | None) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else 0.0


def run_dag(stack: EmbeddedAirflow, dag_id: str, conf: dict[str, Any], timeout: float) -> DagRun:
    run_id = stack.trigger(dag_id, conf)
    state = stack.wait(dag_id, run_id, timeout)
    run = stack.client.dag_run(dag_id, run_id)
    wall = _ts(run.get("end_date")) - _ts(run.get("start_date"))
    return DagRun(dag_id, run_id, state, wall, stack.task_instances(dag_id, run_id))


def task_table(run: DagRun) -> list[str]:
    """One line per task (mapped ones summarised): first start, last end, own time, and the
    idle time since the previous task ended."""
    start = min(_ts(t["start_date"]) for t in run.tasks if t.get("start_date"))
    order = ("plan", "prepare", "upload_shard", "verify", "likeness", "report")
    lines, previous_end = [], start
    for task_id in order:
        tis = [t for t in run.tasks if t["task_id"] == task_id and t.get("start_date")]
        if not tis:
            continue
        first = min(_ts(t["start_date"]) for t in tis)
        last = max(_ts(t["end_date"]) for t in tis)
        durations = sorted(float(t.get("duration") or 0.0) for t in tis)
        mapped = (
            f" x{len(tis)} (each {durations[0]:.1f}-{durations[-1]:.1f}s)" if len(tis) > 1 else ""
        )
        lines.append(
            f"    {task_id:<13} +{first - start:6.1f}s .. +{last - start:6.1f}s  "
            f"{last - first:6.1f}s{mapped}; idle before it {max(0.0, first - previous_end):.1f}s"
        )
        previous_end = last
    return lines


def footprint(stack: EmbeddedAirflow, run: DagRun, db_before: int) -> list[str]:
    """XCom rows/bytes of the run, the database's growth, the run's log bytes/lines."""
    db = stack.home / "airflow.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows, size = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0) FROM xcom "
            "WHERE dag_id = ? AND run_id = ?",
            (run.dag_id, run.run_id),
        ).fetchone()
        biggest = conn.execute(
            "SELECT task_id, key, MAX(LENGTH(value)) FROM xcom WHERE dag_id = ? AND run_id = ? "
            "GROUP BY task_id, key ORDER BY 3 DESC LIMIT 3",
            (run.dag_id, run.run_id),
        ).fetchall()
    logs = stack.home / "logs" / f"dag_id={run.dag_id}" / f"run_id={run.run_id}"
    files = [p for p in logs.rglob("*") if p.is_file()] if logs.exists() else []
    log_bytes = sum(p.stat().st_size for p in files)
    log_lines = sum(p.read_bytes().count(b"\n") for p in files)
    return [
        f"    XCom: {rows} rows, {size / 1024:.1f} KiB; largest: "
        + ", ".join(f"{t}/{k} {n / 1024:.1f} KiB" for t, k, n in biggest),
        f"    metadata DB: {db.stat().st_size / 2**20:.1f} MiB "
        f"(+{(db.stat().st_size - db_before) / 2**20:.1f} MiB during the run)",
        f"    task logs: {len(files)} files, {log_bytes / 2**20:.2f} MiB, {log_lines} lines",
    ]


def run_cli(url: str, password: str, spec: dict[str, Any], processes: int, tmp: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZKABAN")}
    env.update(AZKABAN_URL=url, AZKABAN_USER=USER, AZKABAN_PASSWORD=password, TMPDIR=str(tmp))
    argv = [*cli_command(), "apply", "--processes", str(processes)]
    for name, value in spec.items():
        argv += [f"--{name.replace('_', '-')}", str(value)]
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    tail = [line for line in done.stdout.splitlines() if line.strip()][-3:]
    print(f"  CLI: exit {done.returncode} in {seconds:.1f}s ({' | '.join(tail)})")
    if done.returncode != 0:
        print(done.stderr[-2000:])
    return seconds


def census(url: str, password: str, prefix: str, flows: int) -> str:
    import acceptance_engine

    acceptance_engine.PASSWORD = password  # the Observer logs in with the module's password
    observer = Observer(url)
    names = observer.project_names(prefix)
    seen: set[str] = set()
    total = 0
    for name in names:
        ids = observer.flow_ids(name)
        total += len(ids)
        seen.update(ids)
    exact = total == flows == len(seen)
    return f"{len(names)} projects, {total} flows ({len(seen)} distinct): " + (
        "exact" if exact else f"NOT exact (planned {flows})"
    )


def main() -> int:
    args = _parser().parse_args()
    spec_values = {"flow_count": args.flows, "flows_per_project": args.flows_per_project}
    conf = {**spec_values, **json.loads(args.conf)}
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-dag-path-")).resolve()
    dags = work / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    for source in [*(REPO / "dags").glob("*.py"), FLOOR_DIR / "azkaban_dag_floor.py"]:
        shutil.copy(source, dags / source.name)
    print(f"bench_dag_path: {args.flows} flows, conf {conf}, work dir {work}")
    print(f"  machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    password = sandbox_password(work)
    env_extra = {"AZKABAN_SEEDER_REPORT_DIR": str(work / "reports")}
    if args.max_parallel_shards:
        env_extra["AZKABAN_SEEDER_MAX_PARALLEL_SHARDS"] = str(args.max_parallel_shards)
    with sandbox_process(work, 0, password) as url, RssSampler() as rss:
        env_extra["AIRFLOW_CONN_AZKABAN_DEFAULT"] = connection_json(url, USER, password)
        stack = EmbeddedAirflow(
            home=work / "airflow",
            dags_folder=dags,
            plugins_folder=REPO / "plugins",
            extra_env=env_extra,
            triggerer=True,
        )
        with stack:
            stack.client.wait_for_dag(REBUILD, timeout=stack.start_timeout)
            cap = args.max_parallel_shards or 4
            spec = EnvSpec.from_mapping({**conf, "parallel_shards": cap})
            if not args.skip_floor:
                stack.client.wait_for_dag(FLOOR, timeout=stack.start_timeout)
                floor = run_dag(stack, FLOOR, {"shards": spec.shard_count}, args.timeout)
                print(f"  floor: {floor.state} in {floor.wall:.1f}s ({spec.shard_count} shards)")
                print("\n".join(task_table(floor)))
            db_before = (stack.home / "airflow.db").stat().st_size
            rebuild = run_dag(stack, REBUILD, conf, args.timeout)
            print(
                f"  rebuild: {rebuild.state} in {rebuild.wall:.1f}s "
                f"({spec.shard_count} shards of {spec.shard_size} projects, "
                f"{args.flows / max(rebuild.wall, 1e-9):.0f} flows/s)"
            )
            print("\n".join(task_table(rebuild)))
            print("\n".join(footprint(stack, rebuild, db_before)))
        print(f"  independent count: {census(url, password, 'stress', args.flows)}")
        if not args.skip_cli:
            cli = run_cli(
                url, password, {**spec_values, "prefix": "clibench"}, args.cli_processes, work
            )
            print(f"  ratio rebuild / CLI: {rebuild.wall / cli:.2f} (target <= 2.0)")
            if not args.skip_floor:
                print(f"  rebuild above the floor: {rebuild.wall - floor.wall:.1f}s")
    print("  peak RSS by role (largest process, processes seen):")
    for role, (peak, count) in sorted(rss.by_role().items(), key=lambda kv: -kv[1][0]):
        print(f"    {role:<36} {peak / 2**20:7.1f} MiB  ({count})")
    print(f"  load {os.getloadavg()[0]:.1f} at the end")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

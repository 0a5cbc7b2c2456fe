"""Benchmark: one rebuild on a Celery stack with 1 worker, then with 2 (prints, never asserts).

Each configuration gets a fresh everything: a sandbox subprocess with its upload cost model on
(``--cost-base-ms``, default 400 ms per upload, like a real Azkaban's per-project work), a
fresh PostgreSQL database, a flushed Redis db number, and an `EmbeddedAirflow` with
CeleryExecutor and N `local_celery_workers` of ``--concurrency`` slots each (2 workers: twice
the slots). ``AZKABAN_SEEDER_MAX_PARALLEL_SHARDS`` (``--max-parallel-shards``, default 8) must
not be the limit. The same ``azkaban_env_rebuild`` conf runs on each; printed per
configuration: the DAG run wall (run start to end, REST API), the shard phase (first shard
start to last shard end), throughput in flows/s, an independent count of the flows on the
sandbox, and which worker hostname ran each shard; then the ratio of the walls (target >= 1.6).

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on 127.0.0.1:6379
(``.ci/run`` starts both).

    .venv/bin/python benchmarks/bench_celery_workers.py [--flows 2000] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from azkaban_devstack.distributed import (
    celery_environment,
    flushed_redis,
    fresh_database,
    listening,
    services_up,
)
from azkaban_devstack.job import connection_json
from azkaban_devstack.stack import EmbeddedAirflow, free_port, local_celery_workers
from azkaban_seeder.azkaban import ConnectionSettings
from azkaban_seeder.verify import independent_count

REPO = Path(__file__).resolve().parents[1]
DAG_ID, SHARD_TASK, USER, PREFIX = "azkaban_env_rebuild", "upload_shard", "azkaban", "bench"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--flows", type=int, default=2_000)
    p.add_argument("--flows-per-project", type=int, default=20)
    p.add_argument("--projects-per-shard", type=int, default=10)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--workers", default="1,2", help="worker counts to compare, in order")
    p.add_argument("--concurrency", type=int, default=2, help="slots per worker")
    p.add_argument("--max-parallel-shards", type=int, default=8)
    p.add_argument("--cost-base-ms", type=float, default=400.0)
    p.add_argument("--redis-db", type=int, default=12)
    p.add_argument("--timeout", type=float, default=1200.0)
    return p


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _ts(value: str | None) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else 0.0


# --------------------------------------------------------------------------- services


@contextlib.contextmanager
def sandbox(data_dir: Path, password: str, cost_base_ms: float) -> Iterator[str]:
    """A sandbox subprocess (free port, its own interpreter) with the upload cost model on."""
    port = free_port()
    argv = [
        sys.executable, "-m", "azkaban_sandbox", "--port", str(port),
        "--data-dir", str(data_dir), "--user", f"{USER}:{password}",
        "--cost-base-ms", str(cost_base_ms), "--log-level", "WARNING",
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("sandbox did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --------------------------------------------------------------------------- one run


@dataclass
class Result:
    workers: int
    state: str
    startup: float
    wall: float
    shard_phase: float
    shard_seconds: list[float]
    hosts: dict[str, list[int]]
    counted: int


def _summarise(
    workers: int, state: str, startup: float, run: dict[str, Any], tis: list[Any]
) -> Result:
    shards = [t for t in tis if t["task_id"] == SHARD_TASK and t.get("start_date")]
    hosts: dict[str, list[int]] = {}
    for t in sorted(shards, key=lambda t: int(t["map_index"])):
        hosts.setdefault(t.get("hostname") or "?", []).append(int(t["map_index"]))
    phase = 0.0
    if shards:
        phase = max(_ts(t["end_date"]) for t in shards) - min(_ts(t["start_date"]) for t in shards)
    return Result(
        workers=workers,
        state=state,
        startup=startup,
        wall=_ts(run.get("end_date")) - _ts(run.get("start_date")),
        shard_phase=phase,
        shard_seconds=sorted(float(t.get("duration") or 0.0) for t in shards),
        hosts=hosts,
        counted=0,
    )


def run_once(workers: int, args: argparse.Namespace, conf: dict[str, Any]) -> Result:
    password = secrets.token_urlsafe(18)
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-celery-{workers}w-") as work,
        sandbox(Path(work) / "sandbox", password, args.cost_base_ms) as url,
        fresh_database("bench") as database,
    ):
        home = Path(work) / "airflow"
        env = celery_environment(database, flushed_redis(args.redis_db))
        env.update(
            {
                "AIRFLOW_CONN_AZKABAN_DEFAULT": connection_json(url, USER, password),
                "AZKABAN_SEEDER_REPORT_DIR": str(home / "reports"),
                "AZKABAN_SEEDER_MAX_PARALLEL_SHARDS": str(args.max_parallel_shards),
                "AZKABAN_SEEDER_SHARD_TIMEOUT": str(int(args.timeout)),
            }
        )
        stack = EmbeddedAirflow(
            home=home,
            dags_folder=REPO / "dags",
            plugins_folder=REPO / "plugins",
            executor="CeleryExecutor",
            sql_alchemy_conn=env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
            extra_env=env,
            celery_workers=local_celery_workers(workers, concurrency=args.concurrency),
        )
        started = time.monotonic()
        with stack:
            startup = time.monotonic() - started
            run_id = stack.trigger(DAG_ID, conf)
            state = stack.wait(DAG_ID, run_id, args.timeout)
            run = stack.client.dag_run(DAG_ID, run_id)
            result = _summarise(workers, state, startup, run, stack.task_instances(DAG_ID, run_id))
        settings = ConnectionSettings(url=url, user=USER, password=password, timeout=60.0)
        result.counted = independent_count(settings, PREFIX)
    return result


# --------------------------------------------------------------------------- output


def _print(result: Result, flows: int) -> None:
    secs = result.shard_seconds
    each = f"{secs[0]:.1f}-{secs[-1]:.1f}s" if secs else "-"
    print(
        f"{result.workers} worker(s): run {result.state}, wall {result.wall:7.1f}s "
        f"({flows / result.wall:6.1f} flows/s), shard phase {result.shard_phase:6.1f}s "
        f"({flows / result.shard_phase if result.shard_phase else 0:6.1f} flows/s), "
        f"{len(secs)} shards each {each}, outside the shards "
        f"{result.wall - result.shard_phase:.1f}s, stack start {result.startup:.0f}s, "
        f"independent count {result.counted}"
    )
    for host, indexes in result.hosts.items():
        print(f"    {host}: {len(indexes)} shards, map indexes {indexes}")


def main() -> None:
    args = _parser().parse_args()
    if not services_up():
        sys.exit("PostgreSQL on :5432 and Redis on :6379 are needed (.ci/run starts them)")
    conf = {
        "flow_count": args.flows,
        "flows_per_project": args.flows_per_project,
        "projects_per_shard": args.projects_per_shard,
        "processes": args.processes,
        "prefix": PREFIX,
    }
    counts = [int(n) for n in args.workers.split(",")]
    print(
        f"conf {conf}; {args.concurrency} slots per worker, max parallel shards "
        f"{args.max_parallel_shards}, sandbox cost {args.cost_base_ms:.0f} ms per upload; "
        f"{os.cpu_count()} CPUs, load average {_load()}"
    )
    results = []
    for workers in counts:
        result = run_once(workers, args, conf)
        _print(result, args.flows)
        results.append(result)
    first = results[0]
    for other in results[1:]:
        print(
            f"ratio {first.workers} -> {other.workers} workers: run wall "
            f"{first.wall / other.wall:.2f}x, shard phase "
            f"{first.shard_phase / other.shard_phase:.2f}x (target >= 1.6)"
        )
    print(f"load average at the end {_load()}")


if __name__ == "__main__":
    main()

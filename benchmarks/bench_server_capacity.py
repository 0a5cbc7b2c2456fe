"""Benchmark: how many concurrent uploads one server takes (the knee). Prints, never asserts.

The sandbox runs as a subprocess (`python -m azkaban_sandbox`) with its upload cost model on
(``--cost-ms``, default 400 ms per upload) and its request-thread cap (``--max-threads``,
default 20 like Azkaban's jetty.maxThreads; ``--thread-per connection`` holds a thread per
connection, as Azkaban's Jetty 6 blocking connector does). For each concurrency c (default
1,2,4,8,16,20,24,32,48), c threads, each on its own keep-alive connection and project, POST the
same pre-built small project zip (multipart ``ajax=upload``) ``--rounds`` times; printed per c:
uploads/s, p50/p95 latency, and the most requests the server handled and queued at once.

The knee is the last concurrency whose next level adds less than ``--gain`` (5%) throughput:
beyond it only latency grows (the extra requests wait for a thread).

    .venv/bin/python benchmarks/bench_server_capacity.py [--cost-ms 400] [--max-threads 20]
"""

from __future__ import annotations

import argparse
import itertools
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from bench_apply import ServerShape, sandbox, server_threads

from azkaban_seeder.archive import build_project_zip_bytes
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.spec import EnvSpec

LEVELS = "1,2,4,8,16,20,24,32,48"


@dataclass
class Level:
    """The figures of one concurrency level."""

    clients: int
    uploads: int
    seconds: float
    latencies: list[float]
    busy_max: int
    queued_max: int

    @property
    def rate(self) -> float:
        return self.uploads / self.seconds

    def percentile(self, q: float) -> float:
        """Latency percentile `q` (0..1) in ms (nearest rank)."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    """One sandbox, one login, a project and a connection per client thread."""

    def __init__(self, url: str, clients: int, flows_per_zip: int) -> None:
        self.url = url
        spec = EnvSpec(
            flow_count=clients * flows_per_zip,
            flows_per_project=flows_per_zip,
            projects_per_shard=clients,
            prefix="cap",
        )
        self.projects = [p.name for p in plan_projects(spec)]
        self.zip = build_project_zip_bytes(spec, plan_projects(spec)[0])[0]
        reply = requests.post(
            url, data={"action": "login", "username": "azkaban", "password": "azkaban"}, timeout=30
        )
        self.sid = str(reply.json()["session.id"])
        with requests.Session() as http:
            for name in self.projects:
                http.post(
                    url + "/manager",
                    data={"action": "create", "name": name, "description": "bench"},
                    params={"session.id": self.sid},
                    timeout=30,
                ).raise_for_status()

    def upload(self, http: requests.Session, project: str) -> float:
        """One upload; its latency in seconds."""
        started = time.perf_counter()
        reply = http.post(
            self.url + "/manager",
            data={"ajax": "upload", "project": project, "session.id": self.sid},
            files={"file": (f"{project}.zip", self.zip, "application/zip")},
            timeout=(10, 600),
        )
        reply.raise_for_status()
        if "version" not in reply.json():
            raise RuntimeError(f"upload of {project} refused: {reply.text}")
        return time.perf_counter() - started

    def level(self, clients: int, rounds: int) -> Level:
        """`clients` threads upload `rounds` times each, started together; each closes its
        connection when done."""
        gate = threading.Barrier(clients + 1)

        def client(index: int) -> list[float]:
            project = self.projects[index]
            with requests.Session() as http:
                # No warm-up request: with a thread per connection, connections opened early
                # would hold every thread while their clients wait at the gate.
                gate.wait()
                return [self.upload(http, project) for _ in range(rounds)]

        requests.post(self.url + "/_sandbox/stats/reset", timeout=30)
        with ThreadPoolExecutor(clients) as pool:
            futures = [pool.submit(client, i) for i in range(clients)]
            gate.wait()
            started = time.perf_counter()
            latencies = [s for future in futures for s in future.result()]
            seconds = time.perf_counter() - started
        threads = server_threads(self.url)
        return Level(
            clients, len(latencies), seconds, latencies, threads["busy_max"], threads["queued_max"]
        )


def knee(levels: list[Level], gain: float) -> Level | None:
    """The last level whose next one adds less than `gain` throughput (None: none found)."""
    for here, after in itertools.pairwise(levels):
        if after.rate < here.rate * (1 + gain):
            return here
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cost-ms", type=float, default=400.0, help="emulated ms per upload")
    parser.add_argument("--max-threads", type=int, default=20, help="sandbox request threads")
    parser.add_argument("--thread-per", choices=("request", "connection"), default="request")
    parser.add_argument("--levels", default=LEVELS, help="comma-separated concurrencies")
    parser.add_argument("--rounds", type=int, default=5, help="uploads per client and level")
    parser.add_argument("--flows-per-zip", type=int, default=10)
    parser.add_argument("--gain", type=float, default=0.05, help="knee: next level adds less")
    args = parser.parse_args()

    counts = [int(c) for c in args.levels.split(",")]
    shape = ServerShape(args.cost_ms, 0.0, args.max_threads, args.thread_per)
    print(
        f"{shape.describe()}; {args.rounds} uploads per client, {args.flows_per_zip}-flow zips, "
        f"{os.cpu_count()} CPUs"
    )
    ideal = 1000 / args.cost_ms if args.cost_ms else float("inf")
    print(
        f"{'clients':>7} {'uploads':>7} {'wall s':>7} {'uploads/s':>9} {'ideal/s':>8} "
        f"{'gain':>6} {'p50 ms':>7} {'p95 ms':>7} {'busy max':>8} {'queued max':>10}"
    )
    levels: list[Level] = []
    with sandbox(shape) as url:
        bench = Bench(url, max(counts), args.flows_per_zip)
        for clients in counts:
            level = bench.level(clients, args.rounds)
            gain = f"{level.rate / levels[-1].rate - 1:+6.0%}" if levels else f"{'':>6}"
            cap = min(clients, args.max_threads or clients)
            levels.append(level)
            print(
                f"{clients:7d} {level.uploads:7d} {level.seconds:7.2f} {level.rate:9.1f} "
                f"{cap * ideal:8.1f} {gain} {level.percentile(0.5):7.0f} "
                f"{level.percentile(0.95):7.0f} {level.busy_max:8d} {level.queued_max:10d}"
            )
    best = knee(levels, args.gain)
    top = max(levels, key=lambda level: level.rate)
    last = levels[-1]
    if best is None:
        print(f"no knee: throughput still grows at {last.clients} ({last.rate:.1f} uploads/s)")
        return
    print(
        f"knee: {best.clients} concurrent uploads, {best.rate:.1f} uploads/s (the next level "
        f"adds < {args.gain:.0%}); best {top.rate:.1f} uploads/s at {top.clients}; p50 "
        f"{best.percentile(0.5):.0f} ms at the knee, {last.percentile(0.5):.0f} ms at "
        f"{last.clients}"
    )


if __name__ == "__main__":
    main()

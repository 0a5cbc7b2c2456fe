"""Benchmark: `apply` against the wire limit, and the naive re-upload loop. Prints, never asserts.

1. apply: wall time of `runner.apply` for N flows (default 10,000) on a fresh sandbox.
2. wire limit: the same projects' zips, pre-built and the projects pre-created (both untimed),
   only POSTed (multipart ``ajax=upload``) with the same concurrency, on another fresh sandbox.
   Ratio apply / wire (target <= 1.25).
3. naive loop: one project grown flow by flow, every call unzips the current zip, adds a flow,
   re-zips and uploads it; per-call time at 100..800 flows (sampled) and the extrapolated total.

The sandbox runs as a subprocess (its own interpreter and GIL); ``--cost`` turns its upload
cost model on (a per-upload and per-flow delay like the real server's per-flow INSERTs).

    .venv/bin/python benchmarks/bench_apply.py [--flows 10000] [--processes 4] [--cost]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

import requests

from azkaban_seeder.archive import build_project_zip_bytes
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings
from azkaban_seeder.flows import flow_id_for
from azkaban_seeder.plan import ProjectPlan, plan_projects
from azkaban_seeder.runner import apply
from azkaban_seeder.spec import EnvSpec, RunOptions
from azkaban_seeder.verify import independent_count


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox(cost: bool) -> Iterator[str]:
    """A sandbox subprocess on a free port with a temporary data dir; yields its URL."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as data_dir:
        argv = [
            sys.executable, "-m", "azkaban_sandbox", "--port", str(port),
            "--data-dir", data_dir, "--log-level", "WARNING",
        ]  # fmt: skip
        if cost:
            argv += ["--cost-base-ms", "30", "--cost-per-flow-ms", "1.5"]
        proc = subprocess.Popen(argv)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"{url}/_sandbox/stats", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("sandbox did not start") from None
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _settings(url: str) -> ConnectionSettings:
    return ConnectionSettings(url=url, user="azkaban", password="azkaban", timeout=120.0)


def bench_apply(spec: EnvSpec, options: RunOptions, cost: bool) -> float:
    with sandbox(cost) as url:
        settings = _settings(url)
        started = time.perf_counter()
        result = apply(spec, settings, options)
        seconds = time.perf_counter() - started
        counted = independent_count(settings, spec.prefix)
    print(
        f"apply:      {seconds:8.2f}s  {result.flows} flows uploaded, "
        f"{len(result.failed)} failed, independent count {counted}, "
        f"{result.flows / seconds:8.1f} flows/s"
    )
    return seconds


def bench_wire(spec: EnvSpec, processes: int, cost: bool) -> float:
    projects = plan_projects(spec)
    zips = [build_project_zip_bytes(spec, p)[0] for p in projects]
    with sandbox(cost) as url:
        settings = _settings(url)
        with AzkabanClient(settings) as client:
            for project in projects:
                client.create_project(project.name, "bench")
        local = threading.local()
        clients: list[AzkabanClient] = []

        def post(index: int) -> None:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = AzkabanClient(settings)
                client.login()
                clients.append(client)
            client.upload_project(projects[index].name, zips[index])

        with ThreadPoolExecutor(processes) as pool:
            # Log every thread in before the clock starts (apply's workers log in while their
            # pool starts, which is inside its timing: the comparison favours the wire loop).
            list(pool.map(lambda _i: None, range(processes)))
            started = time.perf_counter()
            list(pool.map(post, range(len(projects))))
            seconds = time.perf_counter() - started
        for client in clients:
            client.close()
    print(
        f"wire limit: {seconds:8.2f}s  {len(projects)} pre-built zips POSTed, "
        f"{spec.flow_count / seconds:8.1f} flows/s"
    )
    return seconds


def _naive_call(spec: EnvSpec, current: bytes, index: int) -> bytes:
    """Unzip ``current``, add flow ``index``'s files, re-zip (the naive per-flow update)."""
    source = zipfile.ZipFile(io.BytesIO(current))
    entries = {name: source.read(name) for name in source.namelist()}
    one = ProjectPlan("naive", index, 1)
    single = zipfile.ZipFile(io.BytesIO(build_project_zip_bytes(spec, one)[0]))
    entries.update({name: single.read(name) for name in single.namelist()})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(entries.items()):
            zf.writestr(name, data)
    return out.getvalue()


def bench_naive(spec: EnvSpec, sizes: list[int], calls: int, cost: bool) -> None:
    big = replace(spec, flow_count=max(sizes) + calls, flows_per_project=max(sizes) + calls)
    per_call: dict[int, float] = {}
    with sandbox(cost) as url, AzkabanClient(_settings(url)) as client:
        client.create_project("naive", "bench")
        for size in sizes:
            current = build_project_zip_bytes(big, ProjectPlan("naive", 0, size - 1))[0]
            started = time.perf_counter()
            for k in range(calls):
                current = _naive_call(big, current, size - 1 + k)
                client.upload_project("naive", current)
            per_call[size] = (time.perf_counter() - started) / calls
            flows = len(client.fetch_project_flows("naive"))
            print(
                f"naive:      at {size:4d} flows {per_call[size] * 1000:8.1f} ms/call "
                f"(server lists {flows} flows; expected {flow_id_for(size - 2 + calls)} last)"
            )
    first, last = sizes[0], sizes[-1]
    slope = (per_call[last] - per_call[first]) / (last - first)
    base = per_call[first] - slope * first
    for size in sizes:
        # Building N flows naively costs sum over k=1..N of per_call(k) (linear fit).
        total = size * base + slope * size * (size + 1) / 2
        print(f"naive:      building {size:4d} flows one call per flow ~ {total:8.1f}s")
    print(f"naive:      per-call growth {slope * 1000:.3f} ms per added flow")


def peak_rss() -> str:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"peak RSS: self {own:.0f} MiB, largest child {children:.0f} MiB (sandbox included)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=10_000)
    parser.add_argument("--flows-per-project", type=int, default=100)
    parser.add_argument("--projects-per-shard", type=int, default=10)
    parser.add_argument("--processes", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--cost", action="store_true", help="turn the sandbox cost model on")
    parser.add_argument("--naive-sizes", default="100,200,400,800")
    parser.add_argument("--naive-calls", type=int, default=3)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--only-naive", action="store_true")
    args = parser.parse_args()

    spec = EnvSpec(
        flow_count=args.flows,
        flows_per_project=args.flows_per_project,
        projects_per_shard=args.projects_per_shard,
        prefix="bench",
    )
    options = RunOptions(processes=args.processes, upload_timeout=120.0)
    print(
        f"{spec.flow_count} flows, {spec.project_count} projects, {spec.shard_count} shards, "
        f"{args.processes} processes, cost model {'on' if args.cost else 'off'}, "
        f"{os.cpu_count()} CPUs"
    )
    if not args.only_naive:
        applied = bench_apply(spec, options, args.cost)
        wire = bench_wire(spec, args.processes, args.cost)
        print(f"ratio apply / wire limit: {applied / wire:.2f} (target <= 1.25)")
        print(peak_rss())
    if not args.skip_naive:
        sizes = [int(s) for s in args.naive_sizes.split(",")]
        bench_naive(spec, sizes, args.naive_calls, args.cost)
    print(peak_rss())


if __name__ == "__main__":
    main()

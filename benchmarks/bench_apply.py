"""Benchmark: `apply` against the wire limit, and the naive re-upload loop. Prints, never asserts.

1. apply: wall time of `runner.apply` for N flows (default 10,000) on a fresh sandbox.
2. wire limit: the same projects' zips, pre-built and the projects pre-created (both untimed),
   only POSTed (multipart ``ajax=upload``) with the same concurrency, on another fresh sandbox.
   Ratio apply / wire, printed with its target: <= 1.10 with a cost model; without one
   <= 1.5 at 10,000 flows and <= 1.2 at 100,000. With more than one shard, a second wire loop
   POSTs shard after shard with apply's concurrency per shard (``min(processes, shard)``),
   which separates apply's own overhead from the cost of running shards one after another.
3. naive loop: one project grown flow by flow, every call unzips the current zip, adds a flow,
   re-zips and uploads it; per-call time at 100..800 flows (sampled) and the extrapolated total.

The sandbox runs as a subprocess (its own interpreter and GIL). ``--cost`` turns its upload
cost model on (30 ms per upload + 1.5 ms per flow, like the real server's per-flow INSERTs);
``--cost-ms 400`` makes every upload cost 400 ms instead. ``--max-threads`` sets the sandbox's
request-thread cap (default: the sandbox's, 20 like Azkaban's jetty.maxThreads; 0: none) and
``--thread-per connection`` holds a thread per connection, as Azkaban's Jetty 6 does.
``--processes 4,16`` runs parts 1 and 2 once per value; ``--repeat 3`` measures each pair three
times, alternately, and prints the median ratio (the machine is shared: single pairs vary).
``--creates`` adds a wire loop that creates each project right before its upload, as apply
must: its ratio to the plain wire limit is the share of apply / wire the creates alone make,
and apply / creates+wire is what apply's own work (building, checking, the pool) adds to them.

Every timed line also prints the host's CPU steal over that measurement (Linux ``/proc/stat``:
the share of this machine's CPU time the hypervisor gave to other guests). apply keeps both
cores busy and the wire loop about one, so steal slows apply more than the wire loop: a pair
measured under heavy steal says more about the neighbours than about apply. With ``--repeat``,
the pairs whose two runs both saw at most 10 % steal get a median of their own, printed after
the median of all pairs (never instead of it). A second line per run splits the CPU
(`CpuMeter`): the sandbox's CPU per project and its share of one core, the rest of the machine's
busy CPU per project (ours: the runner and its pool, or the wire loop's threads), and how busy
the cores were. The sandbox is one interpreter, so its serial work bounds both loops: when
apply's sandbox line is as large as the wire's, the pair was slow on the server's side.

    .venv/bin/python benchmarks/bench_apply.py [--flows 10000] [--processes 4] [--cost]
    .venv/bin/python benchmarks/bench_apply.py --cost-ms 400 --processes 4,16 --skip-naive
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import requests

from azkaban_seeder.archive import build_project_zip_bytes
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings
from azkaban_seeder.flows import flow_id_for
from azkaban_seeder.plan import ProjectPlan, plan_projects, plan_shards
from azkaban_seeder.runner import ProjectResult, apply
from azkaban_seeder.spec import EnvSpec, RunOptions
from azkaban_seeder.verify import independent_count


def cpu_ticks() -> list[int] | None:
    """The machine's ``cpu`` line of ``/proc/stat``: user, nice, system, idle, iowait, irq,
    softirq, steal (in clock ticks); None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return fields if len(fields) == 8 else None


class StealMeter:
    """The host's CPU steal over a block (``with StealMeter() as meter: ...; meter.share``):
    steal ticks over all ticks of the ``cpu`` line of ``/proc/stat``; None where there is none."""

    def __init__(self) -> None:
        self.share: float | None = None
        self._start: tuple[int, int] | None = None

    @staticmethod
    def ticks() -> tuple[int, int] | None:
        fields = cpu_ticks()
        return (fields[7], sum(fields)) if fields is not None else None

    def __enter__(self) -> StealMeter:
        self._start = self.ticks()
        return self

    def __exit__(self, *exc_info: object) -> None:
        end = self.ticks()
        if self._start is not None and end is not None and end[1] > self._start[1]:
            self.share = (end[0] - self._start[0]) / (end[1] - self._start[1])

    def describe(self) -> str:
        return "host steal n/a" if self.share is None else f"host steal {100 * self.share:.0f} %"


class CpuMeter:
    """Where the CPU went over a block: the machine's busy CPU-seconds (``/proc/stat``: user,
    nice, system, irq, softirq) and the sandbox process's own (``/proc/<pid>/stat``); the rest
    is ours (the runner, its pool, the wire loop's threads) plus anything else on the machine.
    Apply's wall is bounded by the sandbox's serial work: it is one interpreter, so its
    request threads take turns; this line shows whether a slow pair was the server's or
    ours."""

    HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, sandbox_pid: int | None) -> None:
        self.pid = sandbox_pid
        self.busy: float | None = None
        self.sandbox: float | None = None
        self.wall = 0.0
        self._start: tuple[float | None, float | None, float] = (None, None, 0.0)

    @classmethod
    def machine_busy(cls) -> float | None:
        fields = cpu_ticks()
        if fields is None:
            return None
        user, nice, system, _idle, _iowait, irq, softirq, _steal = fields
        return (user + nice + system + irq + softirq) / cls.HZ

    def process_cpu(self) -> float | None:
        if self.pid is None:
            return None
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / self.HZ  # utime, stime

    def __enter__(self) -> CpuMeter:
        self._start = (self.machine_busy(), self.process_cpu(), time.perf_counter())
        return self

    def __exit__(self, *exc_info: object) -> None:
        busy, sandbox, started = self._start
        self.wall = time.perf_counter() - started
        end_busy, end_sandbox = self.machine_busy(), self.process_cpu()
        if busy is not None and end_busy is not None:
            self.busy = end_busy - busy
        if sandbox is not None and end_sandbox is not None:
            self.sandbox = end_sandbox - sandbox

    def describe(self, projects: int) -> str:
        if self.busy is None or self.sandbox is None or not projects or not self.wall:
            return "CPU split n/a"
        cores = os.cpu_count() or 1
        return (
            f"CPU per project: sandbox {1000 * self.sandbox / projects:.2f} ms "
            f"({100 * self.sandbox / self.wall:.0f} % of a core), ours and the rest "
            f"{1000 * (self.busy - self.sandbox) / projects:.2f} ms; machine "
            f"{100 * self.busy / self.wall / cores:.0f} % busy"
        )


#: The sandbox process of each running `sandbox()`, by URL (for `CpuMeter`).
SANDBOX_PIDS: dict[str, int] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Pairs whose runs both saw at most this much host steal also get a median of their own.
QUIET_STEAL = 0.10


@dataclass(frozen=True)
class Timed:
    """One timed run: wall seconds and the host's CPU steal meanwhile (None: unknown)."""

    seconds: float
    steal: float | None


@dataclass(frozen=True)
class ServerShape:
    """The sandbox's upload cost model and request threads for a benchmark run."""

    base_ms: float = 0.0
    per_flow_ms: float = 0.0
    max_threads: int | None = None  # None: the sandbox's default
    thread_per: str | None = None  # None: the sandbox's default ("request")

    @property
    def costly(self) -> bool:
        return bool(self.base_ms or self.per_flow_ms)

    def argv(self) -> list[str]:
        """The sandbox flags of this shape."""
        flags: list[str] = []
        if self.costly:
            flags += ["--cost-base-ms", f"{self.base_ms:g}", "--cost-per-flow-ms"]
            flags += [f"{self.per_flow_ms:g}"]
        if self.max_threads is not None:
            flags += ["--max-threads", str(self.max_threads)]
        if self.thread_per is not None:
            flags += ["--thread-per", self.thread_per]
        return flags

    def describe(self) -> str:
        cost = "off"
        if self.costly:
            cost = f"{self.base_ms:g} ms + {self.per_flow_ms:g} ms/flow per upload"
        threads = {None: "sandbox default (20)", 0: "unlimited"}.get(
            self.max_threads, str(self.max_threads)
        )
        return f"cost model {cost}, request threads {threads}, per {self.thread_per or 'request'}"


def ratio_target(shape: ServerShape, flows: int) -> float:
    """The apply / wire target: 1.10 with a cost model, else 1.5 (1.2 from 100,000 flows)."""
    if shape.costly:
        return 1.10
    return 1.2 if flows >= 100_000 else 1.5


@contextmanager
def sandbox(shape: ServerShape) -> Iterator[str]:
    """A sandbox subprocess on a free port with a temporary data dir; yields its URL."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as data_dir:
        argv = [
            sys.executable, "-m", "azkaban_sandbox", "--port", str(port),
            "--data-dir", data_dir, "--log-level", "WARNING",
        ]  # fmt: skip
        proc = subprocess.Popen(argv + shape.argv())
        url = f"http://127.0.0.1:{port}"
        SANDBOX_PIDS[url] = proc.pid
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
            SANDBOX_PIDS.pop(url, None)
            proc.terminate()
            proc.wait(timeout=30)


def server_threads(url: str) -> dict[str, Any]:
    """The sandbox's request-thread counters (`/_sandbox/stats` `threads`)."""
    threads: dict[str, Any] = requests.get(f"{url}/_sandbox/stats", timeout=10).json()["threads"]
    return threads


def _settings(url: str) -> ConnectionSettings:
    return ConnectionSettings(url=url, user="azkaban", password="azkaban", timeout=120.0)


def bench_apply(spec: EnvSpec, options: RunOptions, shape: ServerShape) -> Timed:
    with sandbox(shape) as url:
        settings = _settings(url)
        first: list[float] = []

        def done(_result: ProjectResult) -> None:
            if not first:
                first.append(time.perf_counter())

        with StealMeter() as steal, CpuMeter(SANDBOX_PIDS.get(url)) as cpu:
            started = time.perf_counter()
            result = apply(spec, settings, options, on_progress=done)
            seconds = time.perf_counter() - started
        threads = server_threads(url)
        counted = independent_count(settings, spec.prefix)
    print(
        f"apply:      {seconds:8.2f}s  {result.flows} flows uploaded, "
        f"{len(result.failed)} failed, independent count {counted}, "
        f"{result.flows / seconds:8.1f} flows/s; first project done after "
        f"{(first[0] if first else started) - started:.2f}s; server threads busy at most "
        f"{threads['busy_max']}, queued at most {threads['queued_max']}; {steal.describe()}"
        f"\n            {cpu.describe(spec.project_count)}"
    )
    return Timed(seconds, steal.share)


def bench_wire(
    spec: EnvSpec,
    processes: int,
    shape: ServerShape,
    by_shard: bool = False,
    *,
    creating: bool = False,
) -> Timed:
    """POST the pre-built zips from `processes` threads: all at once, or (`by_shard`) shard
    after shard with at most `min(processes, shard)` in flight, like `apply`. ``creating``:
    the projects are not pre-created; each thread creates its project (``action=create``)
    right before the upload, inside the timing, as `apply` must."""
    projects = plan_projects(spec)
    index = {p.name: n for n, p in enumerate(projects)}
    waves = [[index[p.name] for p in shard.projects] for shard in plan_shards(spec)]
    if not by_shard:
        waves = [list(range(len(projects)))]
    zips = [build_project_zip_bytes(spec, p)[0] for p in projects]
    with sandbox(shape) as url:
        settings = _settings(url)
        if not creating:
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
            if creating:
                client.create_project(projects[index].name, "bench")
            client.upload_project(projects[index].name, zips[index])

        with ThreadPoolExecutor(processes) as pool:
            # Log every thread in before the clock starts (apply's workers log in while their
            # pool starts, which is inside its timing: the comparison favours the wire loop).
            list(pool.map(lambda _i: None, range(processes)))
            with StealMeter() as steal, CpuMeter(SANDBOX_PIDS.get(url)) as cpu:
                started = time.perf_counter()
                for wave in waves:
                    list(pool.map(post, wave))
                seconds = time.perf_counter() - started
        for client in clients:
            client.close()
        threads = server_threads(url)
    label = "by shard:  " if by_shard else "creates+wire:" if creating else "wire limit:"
    print(
        f"{label} {seconds:8.2f}s  {len(projects)} pre-built zips POSTed"
        f"{', each project created first' if creating else ''}"
        f"{f' in {len(waves)} shards' if by_shard else ''}, "
        f"{spec.flow_count / seconds:8.1f} flows/s; server threads busy at most "
        f"{threads['busy_max']}, queued at most {threads['queued_max']}; {steal.describe()}"
        f"\n            {cpu.describe(len(projects))}"
    )
    return Timed(seconds, steal.share)


def compare(
    spec: EnvSpec, processes: int, shape: ServerShape, repeat: int = 1, creates: bool = False
) -> None:
    """Parts 1 and 2 for one process count: apply, the wire limit(s) and the ratios.

    ``repeat`` > 1 measures apply and the wire limit alternately that many times (each on a
    fresh sandbox) and prints the median ratio with the spread: on a shared machine one pair
    can land in a burst of load that the other missed. ``creates``: also time the wire loop
    with each project created first (the part of apply / wire that the creates alone make)."""
    options = RunOptions(processes=processes, upload_timeout=120.0)
    print(f"--- {processes} processes, {shape.describe()}")
    target = ratio_target(shape, spec.flow_count)
    ratios: list[float] = []
    floors: list[float] = []
    above: list[float] = []
    quiet: list[float] = []
    for _ in range(repeat):
        applied = bench_apply(spec, options, shape)
        wire = bench_wire(spec, processes, shape)
        ratios.append(applied.seconds / wire.seconds)
        if all(t.steal is not None and t.steal <= QUIET_STEAL for t in (applied, wire)):
            quiet.append(ratios[-1])
        print(f"ratio apply / wire limit: {ratios[-1]:.2f} (target <= {target:.2f})")
        if creates:
            created = bench_wire(spec, processes, shape, creating=True)
            floors.append(created.seconds / wire.seconds)
            above.append(applied.seconds / created.seconds)
            print(
                f"ratio creates+wire / wire limit: {floors[-1]:.2f} (what the creates alone "
                f"make); apply / creates+wire: {above[-1]:.2f} (what apply's own work adds)"
            )
    if creates and repeat > 1:
        print(
            f"median ratio creates+wire / wire limit: {statistics.median(floors):.2f}; "
            f"median apply / creates+wire: {statistics.median(above):.2f}"
        )
    if repeat > 1:
        ordered = sorted(ratios)
        print(
            f"median ratio apply / wire limit over {repeat} pairs: "
            f"{statistics.median(ordered):.2f} (all: {', '.join(f'{r:.2f}' for r in ordered)}; "
            f"target <= {target:.2f})"
        )
        calm = (
            f"{statistics.median(quiet):.2f} (all: {', '.join(f'{r:.2f}' for r in sorted(quiet))})"
            if quiet
            else "none"
        )
        print(
            f"pairs with host steal <= {100 * QUIET_STEAL:.0f} % in both runs: {len(quiet)} of "
            f"{repeat}; their median ratio: {calm}"
        )
    if spec.shard_count > 1:
        shaped = bench_wire(spec, processes, shape, by_shard=True)
        print(
            f"ratio apply / by-shard wire: {applied.seconds / shaped.seconds:.2f} "
            "(apply's own overhead)"
        )
    print(peak_rss())


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


def bench_naive(spec: EnvSpec, sizes: list[int], calls: int, shape: ServerShape) -> None:
    big = replace(spec, flow_count=max(sizes) + calls, flows_per_project=max(sizes) + calls)
    per_call: dict[int, float] = {}
    with sandbox(shape) as url, AzkabanClient(_settings(url)) as client:
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
    # 0 = the spec's auto sizing, as `azkaban-seeder apply` runs (one shard for the CLI).
    parser.add_argument("--projects-per-shard", type=int, default=0)
    parser.add_argument(
        "--processes",
        default=str(min(4, os.cpu_count() or 1)),
        help="worker processes per shard; a comma-separated list runs each",
    )
    parser.add_argument("--cost", action="store_true", help="cost model 30 ms + 1.5 ms/flow")
    parser.add_argument("--cost-ms", type=float, default=0.0, help="cost model MS per upload")
    parser.add_argument("--max-threads", type=int, default=None, help="sandbox request threads")
    parser.add_argument("--thread-per", choices=("request", "connection"), default=None)
    parser.add_argument("--naive-sizes", default="100,200,400,800")
    parser.add_argument("--naive-calls", type=int, default=3)
    parser.add_argument(
        "--repeat", type=int, default=1, help="apply/wire pairs per process count (median)"
    )
    parser.add_argument(
        "--creates",
        action="store_true",
        help="also time the wire loop creating each project first (the creates' share)",
    )
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--only-naive", action="store_true")
    args = parser.parse_args()

    spec = EnvSpec(
        flow_count=args.flows,
        flows_per_project=args.flows_per_project,
        projects_per_shard=args.projects_per_shard,
        prefix="bench",
    )
    base, per_flow = (args.cost_ms, 0.0) if args.cost_ms else (30.0, 1.5) if args.cost else (0, 0)
    shape = ServerShape(base, per_flow, args.max_threads, args.thread_per)
    counts = [int(p) for p in args.processes.split(",")]
    print(
        f"{spec.flow_count} flows, {spec.project_count} projects, {spec.shard_count} shards, "
        f"processes {','.join(map(str, counts))}, {shape.describe()}, {os.cpu_count()} CPUs"
    )
    if not args.only_naive:
        for processes in counts:
            compare(spec, processes, shape, max(1, args.repeat), args.creates)
    if not args.skip_naive:
        sizes = [int(s) for s in args.naive_sizes.split(",")]
        bench_naive(spec, sizes, args.naive_calls, shape)
    print(peak_rss())


if __name__ == "__main__":
    main()

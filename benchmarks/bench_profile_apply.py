"""Synthesis and apply of shape ``profile`` vs shape ``single`` (prints, never asserts).

For each size (default 10,000 and 100,000 flows) and shape:

- synthesis: generating the N flows in this process (``generate_flow``, as a worker does;
  the first ``profile`` flow includes loading the file and building its draw tables), and the
  jobs they hold;
- apply: ``azkaban-seeder apply --processes 4`` (its own verify included) against a fresh
  ``azkaban-sandbox`` subprocess (cost model off): the CLI process's wall time, the time and
  flows/s its summary reports (preflight, upload and verify, without interpreter start-up),
  bytes uploaded, and peak RSS sampled every 0.2 s with psutil (the CLI process, its largest
  worker, the whole CLI tree, and the sandbox).

The profile: ``--profile FILE`` (e.g. the one ``acceptance_profile.py --save-profile`` kept),
else one built here from the tests' skewed sample observations (tests/profile).

    .venv/bin/python benchmarks/bench_profile_apply.py [--sizes 10000 100000]
        [--profile var/acceptance/prod.profile.json] [--processes 4]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from acceptance_engine import RunningCli, cli_command
from acceptance_reliability import SandboxProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "profile"))
from profile_samples import skewed_observations

from azkaban_seeder.flows import generate_flow
from azkaban_seeder.profile import build_profile, dump_profile
from azkaban_seeder.spec import EnvSpec

MIB = 2**20
SUMMARY_RE = re.compile(r"flows uploaded (\d+)/(\d+) .* ([\d.]+)s, ([\d.]+) flows/s")
VERIFY_OK = "verify: OK"


@dataclass
class Peak:
    """Peak RSS (bytes) seen by the sampler."""

    cli: int = 0
    worker: int = 0
    tree: int = 0
    sandbox: int = 0


def _rss(proc: psutil.Process) -> int:
    try:
        return int(proc.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


class Sampler:
    """Samples the RSS of the CLI's process tree and of the sandbox until stopped."""

    def __init__(self, cli_pid: int, sandbox_pid: int, every: float = 0.2) -> None:
        self.peak = Peak()
        self.cli = psutil.Process(cli_pid)
        self.sandbox = psutil.Process(sandbox_pid)
        self.every = every
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.is_set():
            try:
                children = self.cli.children(recursive=True)
            except psutil.NoSuchProcess:
                children = []
            own = _rss(self.cli)
            sizes = [_rss(c) for c in children]
            p = self.peak
            p.cli = max(p.cli, own)
            p.worker = max(p.worker, *sizes, 0)
            p.tree = max(p.tree, own + sum(sizes))
            p.sandbox = max(p.sandbox, _rss(self.sandbox))
            self.done.wait(self.every)

    def stop(self) -> Peak:
        self.done.set()
        self.thread.join()
        return self.peak


def synthesis(spec: EnvSpec) -> tuple[float, int]:
    started = time.perf_counter()
    jobs = sum(len(generate_flow(spec, i).jobs) for i in range(spec.flow_count))
    return time.perf_counter() - started, jobs


def spec_args(size: int, shape: str, profile: Path) -> list[str]:
    argv = ["--flow-count", str(size), "--shape", shape, "--prefix", "bpa"]
    return [*argv, "--profile", str(profile)] if shape == "profile" else argv


def apply_once(tmp: Path, args: list[str], processes: int) -> tuple[dict[str, str], Peak]:
    with SandboxProcess(tmp) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AZKABAN")}
        env.update(AZKABAN_URL=sandbox.url, AZKABAN_USER="azkaban", AZKABAN_PASSWORD="azkaban")
        (tmp / "cli-tmp").mkdir(exist_ok=True)
        env["TMPDIR"] = str(tmp / "cli-tmp")
        cli = RunningCli(["apply", *args, "--processes", str(processes)], env)
        assert sandbox.proc is not None
        sampler = Sampler(cli.pid, sandbox.proc.pid)
        run = cli.wait(3600)
        peak = sampler.stop()
        stats = sandbox.stats()
    match = SUMMARY_RE.search(run.text)
    figures = {
        "exit": str(run.code),
        "wall": f"{run.seconds:.1f}",
        "report": match.group(3) if match else "?",
        "flows_s": f"{float(match.group(4)):.0f}" if match else "?",
        "verify": "OK" if VERIFY_OK in run.text else "not OK",
        "mib": f"{stats['uploads']['bytes'] / MIB:.1f}",
        "flows": str(stats["flows"]),
    }
    if run.code != 0:
        for line in run.text.splitlines()[:8]:
            print(f"    | {line}")
    return figures, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--profile", type=Path, help="profile file (default: built here)")
    parser.add_argument("--processes", type=int, default=4, help="apply --processes")
    args = parser.parse_args()
    print(f"CLI {' '.join(cli_command())}; machine: {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-profile-apply-") as name:
        tmp = Path(name)
        profile = args.profile
        if profile is None:
            profile = tmp / "sample.profile.json"
            dump_profile(build_profile(skewed_observations(10_000, seed=3)[0]), profile)
            print("profile: built from the tests' skewed sample (10,000 observed flows)")
        else:
            print(f"profile: {profile}")
        profile = profile.resolve()
        header = (
            f"{'shape':8} {'flows':>7} {'synth s':>8} {'jobs':>8} {'wall s':>8} "
            f"{'report s':>8} {'flows/s':>8} {'MiB':>6} {'verify':>7} "
            f"{'RSS MiB cli/worker/tree/sandbox':>32}"
        )
        rows = []
        for size in args.sizes:
            for shape in ("single", "profile"):
                spec = EnvSpec.from_mapping(
                    {"flow_count": size, "shape": shape}
                    | ({"profile": str(profile)} if shape == "profile" else {})
                )
                synth_s, jobs = synthesis(spec)
                print(f"  {shape} {size}: synthesis {synth_s:.2f} s, {jobs} jobs", flush=True)
                run_dir = tmp / f"{shape}-{size}"
                run_dir.mkdir()
                figures, peak = apply_once(run_dir, spec_args(size, shape, profile), args.processes)
                rss = "/".join(
                    f"{v / MIB:.0f}" for v in (peak.cli, peak.worker, peak.tree, peak.sandbox)
                )
                row = (
                    f"{shape:8} {size:7d} {synth_s:8.2f} {jobs:8d} {figures['wall']:>8} "
                    f"{figures['report']:>8} {figures['flows_s']:>8} {figures['mib']:>6} "
                    f"{figures['verify']:>7} {rss:>32}"
                )
                print(f"  {row}  (exit {figures['exit']}, sandbox flows {figures['flows']})")
                rows.append(row)
        print()
        print(header)
        for row in rows:
            print(row)


if __name__ == "__main__":
    main()

"""Acceptance run of the reliability "must show" list (dead, silent, restarted, faulty server).

Drives the real ``azkaban-seeder`` CLI as subprocesses against ``azkaban-sandbox``
subprocesses and prints figures plus one PASS/MISS line per target; exits 0 even when a
target is missed (it measures, it does not assert). The outage window is the CLI's default
(``apply --outage-seconds``, 60 s).

a. The sandbox SIGKILLed for good once ~4 projects are uploaded (its upload cost model on, so
   the run is still going), for 20 and for 500 projects: ``apply`` ends within 90 s (exit code,
   summary and the first failure lines printed).
b. A silent server: a TCP listener in this script that accepts connections and never
   answers: ``apply`` ends within the same 90 s. Extra (b2): the sandbox SIGSTOPped mid-run
   (it goes silent, the kernel still accepts connections), then SIGCONT + stop afterwards.
c. The sandbox SIGKILLed once ~4 projects are uploaded, restarted on the same port and data
   dir after 30 s down: the same ``apply`` ends exact (its own verify, then ``verify`` and an
   independent census with plain ``requests``), N runs out of 10 (20 projects each).
d. 20% of requests faulted, every kind (``/_sandbox/faults``; ``slow`` sleeps 3 s and the CLI
   runs with ``--timeout 2 --upload-timeout 2``, so ``slow`` also surfaces as a timeout of a
   request the server still applies), 100 projects, 30 seeds: exact N/30 (faults off, then
   ``verify`` and the census, after each).

    .venv/bin/python benchmarks/acceptance_reliability.py [--restart-runs 10] [--fault-seeds 30]
        [--only a,b,c,d] [--processes 4] [--jobs 1]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from acceptance_engine import (
    VERIFY_RE,
    CliRun,
    Observer,
    RunningCli,
    cli_command,
    free_port,
    run_cli,
)

from azkaban_sandbox.faults import FAULT_KINDS

USER = PASSWORD = "azkaban"
FLOWS_PER_PROJECT = 10
#: (a), (b): the longest an apply may take against a dead or silent server.
BOUND_SECONDS = 90.0
#: (a), (c): uploads seen by the sandbox before it is killed.
KILL_AFTER_UPLOADS = 4
#: (a), (c): the sandbox's upload cost model, so a 20-project run lasts past the kill.
COST_ARGS = ["--cost-base-ms", "150", "--cost-per-flow-ms", "5"]
#: (c): how long the sandbox stays down before the restart (inside the 60 s window).
DOWN_SECONDS = 30.0
#: (d): slow faults sleep longer than the CLI's read and upload timeouts.
SLOW_SECONDS = 3.0
CLI_TIMEOUT = "2"
HANG_SECONDS = 600.0


# --------------------------------------------------------------------------- sandbox process


class SandboxProcess:
    """``azkaban-sandbox`` as a subprocess on a fixed port and data dir: start, SIGKILL,
    SIGSTOP/SIGCONT, restart (same argv: same port, data dir, users and cost model)."""

    def __init__(self, workdir: Path, extra: list[str] | None = None, port: int = 0) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "sandbox.log"
        self.argv = [sys.executable, "-m", "azkaban_sandbox", "--port", str(self.port)]
        self.argv += ["--data-dir", str(self.data_dir), "--log-level", "WARNING", *(extra or [])]
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> SandboxProcess:
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = requests.post(
                    f"{self.url}/",
                    data={"action": "login", "username": USER, "password": PASSWORD},
                    timeout=5,
                )
                if reply.ok and "session.id" in reply.json():
                    return self
            except (requests.RequestException, ValueError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox at {self.url} did not answer a login; see {self.log}")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGCONT)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if body is None:
            reply = requests.get(f"{self.url}/_sandbox/{path}", timeout=30)
        else:
            reply = requests.post(f"{self.url}/_sandbox/{path}", json=body, timeout=30)
        reply.raise_for_status()
        result: dict[str, Any] = reply.json()
        return result

    def stats(self) -> dict[str, Any]:
        return self.control("stats")

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_for_uploads(sandbox: SandboxProcess, cli: RunningCli, count: int) -> int:
    """Poll ``/_sandbox/stats`` until ``count`` uploads succeeded (or the CLI ended)."""
    seen = 0
    while cli.proc.poll() is None:
        seen = int(sandbox.stats()["uploads"]["ok"])
        if seen >= count:
            break
        time.sleep(0.02)
    return seen


# --------------------------------------------------------------------------- specs and runs


@dataclass(frozen=True)
class Spec:
    """The spec flags of one run (duck-types `acceptance_engine.Spec` for the census)."""

    prefix: str
    projects: int
    flows_per_project: int = FLOWS_PER_PROJECT

    @property
    def flows(self) -> int:
        return self.projects * self.flows_per_project

    def args(self) -> list[str]:
        return [
            "--prefix", self.prefix, "--flow-count", str(self.flows),
            "--flows-per-project", str(self.flows_per_project),
        ]  # fmt: skip


def cli_env(url: str, tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZKABAN")}
    env.update(AZKABAN_URL=url, AZKABAN_USER=USER, AZKABAN_PASSWORD=PASSWORD)
    tmpdir.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmpdir)  # a SIGKILLed run's leftovers go with our temp dir
    return env


def apply_argv(spec: Spec, processes: int, *extra: str) -> list[str]:
    return ["apply", *spec.args(), "--processes", str(processes), *extra]


def summary_lines(run: CliRun, limit: int = 4) -> list[str]:
    """The summary's head and the first failure lines, plus error lines of stderr."""
    out = [line for _t, line in run.stdout]
    lines = out[:2]
    if "retries: none" in out or any(line.startswith("retries:") for line in out):
        lines += [line for line in out if line.startswith("retries:")]
    if any(line.startswith("failures") for line in out):
        start = next(i for i, line in enumerate(out) if line.startswith("failures"))
        lines += out[start : start + 1 + limit]
    lines += [line for line in out if line.startswith("verify:")]
    lines += [line for _t, line in run.stderr if ": error:" in line or "Azkaban error" in line]
    return lines


def shown(label: str, run: CliRun) -> list[str]:
    outcome = "HUNG (killed)" if run.code is None else f"exit {run.code}"
    return [f"  {label}: {outcome} in {run.seconds:.1f} s"] + [
        f"    | {line[:220]}" for line in summary_lines(run)
    ]


def show(label: str, run: CliRun) -> None:
    print("\n".join(shown(label, run)), flush=True)


PRINT_LOCK = threading.Lock()


def say(lines: list[str]) -> None:
    """Print one run's lines together (runs of (c) and (d) may overlap with --jobs)."""
    with PRINT_LOCK:
        print("\n".join(lines), flush=True)


def exact(sandbox: SandboxProcess, env: dict[str, str], spec: Spec) -> list[str]:
    """``verify`` CLI (exit 0, N present, nothing missing or unexpected) and the census."""
    problems: list[str] = []
    run = run_cli(["verify", *spec.args()], env)
    counts = VERIFY_RE.search(run.text)
    if run.code != 0:
        problems.append(f"verify exit {run.code}")
    if counts is None:
        problems.append("verify summary not understood")
    else:
        found = tuple(int(g) for g in counts.groups())
        if found != (spec.flows, spec.flows, 0, 0, 0):
            problems.append(f"verify {counts.group(0)!r}")
    census = Observer(sandbox.url).census(spec)  # type: ignore[arg-type]  # duck-typed spec
    problems += census.problems(spec)  # type: ignore[arg-type]
    return problems


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# --------------------------------------------------------------------------- (a) dead server


def scenario_dead(tmp: Path, projects: int, processes: int) -> tuple[float, int | None]:
    print(f"\n== (a) sandbox SIGKILLed for good after ~{KILL_AFTER_UPLOADS} uploads, ", end="")
    print(f"{projects} projects")
    spec = Spec(f"rel_a{projects}", projects)
    workdir = tmp / f"a{projects}"
    sandbox = SandboxProcess(workdir, COST_ARGS).start()
    try:
        env = cli_env(sandbox.url, workdir / "cli-tmp")
        cli = RunningCli(apply_argv(spec, processes), env)
        seen = wait_for_uploads(sandbox, cli, KILL_AFTER_UPLOADS)
        sandbox.kill()
        killed_at = time.monotonic() - cli.started
        run = cli.wait(HANG_SECONDS)
    finally:
        sandbox.stop()
    print(f"  killed {killed_at:.1f} s into the run with {seen} uploads done")
    show("apply", run)
    print(f"  kill -> exit {run.seconds - killed_at:.1f} s")
    return run.seconds, run.code


# --------------------------------------------------------------------------- (b) silent server


class SilentServer:
    """Accepts TCP connections and never reads or answers (held open until stopped)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self.accepted = 0
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted += 1

    def stop(self) -> None:
        self.stopped = True
        self.sock.close()
        for conn in self.held:
            conn.close()


def scenario_silent(tmp: Path, processes: int) -> tuple[float, int | None]:
    print("\n== (b) silent server (accepts TCP, never answers), 20 projects")
    server = SilentServer()
    try:
        run = run_cli(apply_argv(Spec("rel_b", 20), processes), cli_env(server.url, tmp / "b"))
    finally:
        server.stop()
    print(f"  listener accepted {server.accepted} connection(s)")
    show("apply", run)
    return run.seconds, run.code


def scenario_paused(tmp: Path, processes: int) -> tuple[float, int | None]:
    print(f"\n== (b2) sandbox SIGSTOPped after ~{KILL_AFTER_UPLOADS} uploads", end="")
    print(" (silent mid-run), 20 projects")
    spec = Spec("rel_b2", 20)
    workdir = tmp / "b2"
    sandbox = SandboxProcess(workdir, COST_ARGS).start()
    try:
        cli = RunningCli(apply_argv(spec, processes), cli_env(sandbox.url, workdir / "cli-tmp"))
        seen = wait_for_uploads(sandbox, cli, KILL_AFTER_UPLOADS)
        sandbox.pause()
        paused_at = time.monotonic() - cli.started
        run = cli.wait(HANG_SECONDS)
    finally:
        sandbox.stop()
    print(f"  paused {paused_at:.1f} s into the run with {seen} uploads done")
    show("apply", run)
    print(f"  pause -> exit {run.seconds - paused_at:.1f} s")
    return run.seconds, run.code


# --------------------------------------------------------------------------- (c) restart


@dataclass
class RestartRun:
    seconds: float
    code: int | None
    uploads_at_kill: int
    problems: list[str]


def restart_once(tmp: Path, index: int, processes: int) -> RestartRun:
    spec = Spec(f"rel_c{index:02d}", 20)
    workdir = tmp / f"c{index:02d}"
    sandbox = SandboxProcess(workdir, COST_ARGS).start()
    try:
        env = cli_env(sandbox.url, workdir / "cli-tmp")
        cli = RunningCli(apply_argv(spec, processes), env)
        seen = wait_for_uploads(sandbox, cli, KILL_AFTER_UPLOADS)
        sandbox.kill()
        time.sleep(DOWN_SECONDS)
        sandbox.start()
        run = cli.wait(HANG_SECONDS)
        problems = [] if run.code == 0 else [f"apply exit {run.code}"]
        if run.code == 0 and not any("verify: OK" in line for _t, line in run.stdout):
            problems.append("apply's own verify not OK")
        problems += exact(sandbox, env, spec)
    finally:
        sandbox.stop()
    retries = next((line for _t, line in run.stdout if line.startswith("retries:")), "retries: ?")
    lines = [
        f"  (c) run {index + 1:2d}: killed at {seen} uploads, down {DOWN_SECONDS:.0f} s, apply "
        f"exit {run.code} in {run.seconds:.1f} s, {retries} -> "
        f"{'exact' if not problems else '; '.join(problems)}"
    ]
    say(lines + (shown("apply", run) if problems else []))
    return RestartRun(run.seconds, run.code, seen, problems)


# --------------------------------------------------------------------------- (d) faults


@dataclass
class FaultRun:
    seed: int
    seconds: float
    code: int | None
    faults: int
    requests: int
    retries: str
    problems: list[str]


def faults_once(tmp: Path, seed: int, processes: int) -> FaultRun:
    spec = Spec(f"rel_d{seed:02d}", 100)
    workdir = tmp / f"d{seed:02d}"
    sandbox = SandboxProcess(workdir).start()
    try:
        env = cli_env(sandbox.url, workdir / "cli-tmp")
        sandbox.control(
            "faults",
            {"rate": 0.2, "seed": seed, "kinds": list(FAULT_KINDS), "slow_seconds": SLOW_SECONDS},
        )
        before = sandbox.stats()
        timeouts = ["--timeout", CLI_TIMEOUT, "--upload-timeout", CLI_TIMEOUT]
        try:
            run = run_cli(apply_argv(spec, processes, *timeouts), env)
            after = sandbox.stats()
        finally:
            sandbox.control("faults", {"rate": 0.0})
        problems = [] if run.code == 0 else [f"apply exit {run.code}"]
        problems += exact(sandbox, env, spec)
    finally:
        sandbox.stop()
    retries = next((line for _t, line in run.stdout if line.startswith("retries:")), "retries: ?")
    result = FaultRun(
        seed,
        run.seconds,
        run.code,
        after["faults_total"] - before["faults_total"],
        after["requests_total"] - before["requests_total"],
        retries.removeprefix("retries: "),
        problems,
    )
    lines = [
        f"  (d) seed {seed:2d}: apply exit {run.code} in {run.seconds:5.1f} s, {result.requests} "
        f"requests, {result.faults} faults, retries {result.retries} -> "
        f"{'exact' if not problems else '; '.join(problems)}"
    ]
    say(lines + (shown("apply", run) if problems else []))
    return result


def _spread(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    return f"{ordered[0]:.1f}..{ordered[-1]:.1f} s (median {ordered[len(ordered) // 2]:.1f})"


def restarts_and_faults(
    tmp: Path, restarts: int, seeds: int, processes: int, jobs: int
) -> list[tuple[str, str, str, bool]]:
    """(c) and (d), ``jobs`` runs at a time (each run has its own sandbox and CLI)."""
    if restarts:
        print(
            f"\n== (c) SIGKILL after ~{KILL_AFTER_UPLOADS} uploads, restart after "
            f"{DOWN_SECONDS:.0f} s on the same port and data dir, 20 projects "
            f"({20 * FLOWS_PER_PROJECT} flows), {restarts} runs"
        )
    if seeds:
        print(
            f"\n== (d) 20% faults, kinds {','.join(FAULT_KINDS)}, slow {SLOW_SECONDS:.0f} s, CLI "
            f"--timeout {CLI_TIMEOUT} --upload-timeout {CLI_TIMEOUT}; 100 projects "
            f"({100 * FLOWS_PER_PROJECT} flows), {seeds} seeds"
        )
    print(f"   {jobs} run(s) at a time", flush=True)
    started = time.monotonic()
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        c_futures = [pool.submit(restart_once, tmp, i, processes) for i in range(restarts)]
        d_futures = [pool.submit(faults_once, tmp, seed, processes) for seed in range(seeds)]
        c_runs = [f.result() for f in c_futures]
        d_runs = [f.result() for f in d_futures]
    print(f"  (c)+(d) took {time.monotonic() - started:.0f} s wall")
    rows = []
    if c_runs:
        good = sum(1 for r in c_runs if not r.problems)
        print(f"  (c) exact {good}/{len(c_runs)}; apply {_spread([r.seconds for r in c_runs])}")
        rows.append(
            (f"(c) restart after {DOWN_SECONDS:.0f} s down", f"exact {good}/{len(c_runs)}",
             f"{len(c_runs)}/{len(c_runs)}", good == len(c_runs))
        )  # fmt: skip
    if d_runs:
        good = sum(1 for r in d_runs if not r.problems)
        faults = sum(r.faults for r in d_runs)
        total = sum(r.requests for r in d_runs)
        print(
            f"  (d) exact {good}/{len(d_runs)}; apply {_spread([r.seconds for r in d_runs])}; "
            f"{faults} faults in {total} requests ({faults / max(1, total):.1%})"
        )
        rows.append(
            (f"(d) 20% faults, {len(d_runs)} seeds", f"exact {good}/{len(d_runs)}",
             f"{len(d_runs)}/{len(d_runs)}", good == len(d_runs))
        )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restart-runs", type=int, default=10)
    parser.add_argument("--fault-seeds", type=int, default=30)
    parser.add_argument("--only", default="a,b,c,d", help="scenarios to run, e.g. c,d")
    parser.add_argument("--processes", type=int, default=4, help="apply --processes")
    parser.add_argument("--jobs", type=int, default=1, help="(c) and (d) runs at a time")
    args = parser.parse_args()
    only = set(args.only.split(","))
    started = time.monotonic()
    print(f"CLI {' '.join(cli_command())}; outage window: the CLI's default (60 s)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    rows: list[tuple[str, str, str, bool]] = []  # (target, measured, bound, ok)
    with tempfile.TemporaryDirectory(prefix="acceptance-reliability-") as name:
        tmp = Path(name)
        if "a" in only:
            for projects in (20, 500):
                seconds, code = scenario_dead(tmp, projects, args.processes)
                rows.append(
                    (f"(a) dead server, {projects} projects", f"{seconds:.1f} s, exit {code}",
                     f"<= {BOUND_SECONDS:.0f} s", seconds <= BOUND_SECONDS and code == 1)
                )  # fmt: skip
        if "b" in only:
            seconds, code = scenario_silent(tmp, args.processes)
            rows.append(
                ("(b) silent listener, 20 projects", f"{seconds:.1f} s, exit {code}",
                 f"<= {BOUND_SECONDS:.0f} s", seconds <= BOUND_SECONDS and code == 1)
            )  # fmt: skip
            seconds, code = scenario_paused(tmp, args.processes)
            rows.append(
                ("(b2) sandbox SIGSTOPped mid-run (extra)", f"{seconds:.1f} s, exit {code}",
                 f"<= {BOUND_SECONDS:.0f} s", seconds <= BOUND_SECONDS and code == 1)
            )  # fmt: skip
        restarts = args.restart_runs if "c" in only else 0
        seeds = args.fault_seeds if "d" in only else 0
        if restarts or seeds:
            rows += restarts_and_faults(tmp, restarts, seeds, args.processes, args.jobs)
    print(f"\n== summary ({time.monotonic() - started:.0f} s wall)")
    width = max((len(r[0]) for r in rows), default=10)
    print(f"{'target':{width}}  {'measured':24} {'bound':10} result")
    for target, measured, bound, ok in rows:
        print(f"{target:{width}}  {measured:24} {bound:10} {verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

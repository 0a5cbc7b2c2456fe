"""Acceptance run of the engine's "must show" list, against a sandbox subprocess.

Drives the real ``azkaban-seeder`` CLI as subprocesses (``AZKABAN_URL`` / ``AZKABAN_PASSWORD``
in the environment) and prints figures plus one PASS/FAIL line per scenario; exits 1 if any
scenario fails. Never asserts in the pytest sense.

1. ``apply`` then ``verify`` of N flows for Flow 1.0 / 2.0 and shapes ``single`` / ``mix``:
   verify shows N present, 0 missing, 0 unexpected, and an independent census agrees.
2. ``apply`` SIGKILLed (whole process group) once about half the projects exist, then re-run:
   exact, no project twice, no unexpected flow.
3. Fault injection on 20% of requests (every kind, ``slow`` longer than the CLI's timeouts):
   ``apply`` still ends exact; the retries by reason and the injected faults are printed.
4. One pool worker SIGKILLed mid-shard (``--processes 2``, one shard, upload cost model on so
   the run takes > 10 s): the CLI exits within seconds naming the dead worker's projects; a
   re-run converges.

The census is written here with plain ``requests`` (login POST ``action=login``,
``GET /index?ajax=fetchallprojects``, ``GET /manager?ajax=fetchprojectflows``), so it does not
share code with the client under test.

    .venv/bin/python benchmarks/acceptance_engine.py [--quick] [--processes 2]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil
import requests

from azkaban_sandbox.faults import FAULT_KINDS
from azkaban_seeder.flows import flow_id_for

USER = "azkaban"
PASSWORD = "azkaban"
FLOWS_PER_PROJECT = 100  # passed to the CLI; the census derives the planned project count
HTTP_TIMEOUT = 30.0
#: Longest any CLI call may take before the run calls it a hang and kills its process group.
HANG_SECONDS = 900.0
#: Scenario 4: the CLI must exit this soon after a worker is killed ("within seconds").
KILL_EXIT_LIMIT = 15.0
#: Scenario 3: `slow` faults sleep longer than the CLI's read/upload timeouts, so they surface
#: as client timeouts (a `slow` request is still applied by the server: the retry must cope).
SLOW_SECONDS = 3.0
CLI_TIMEOUT = 2.0
#: Scenario 4: the sandbox's upload cost model (like the real server's per-flow INSERTs).
COST = {"base_ms": 50.0, "per_flow_ms": 3.0, "per_mib_ms": 0.0}
NO_COST = {"base_ms": 0.0, "per_flow_ms": 0.0, "per_mib_ms": 0.0}


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Spec:
    """The spec flags one scenario passes to ``apply`` and ``verify``."""

    prefix: str
    flows: int
    flow_format: str = "1.0"
    shape: str = "single"
    one_shard: bool = False

    @property
    def projects(self) -> int:
        return math.ceil(self.flows / FLOWS_PER_PROJECT)

    def args(self) -> list[str]:
        argv = ["--prefix", self.prefix, "--flow-count", str(self.flows)]
        argv += ["--flows-per-project", str(FLOWS_PER_PROJECT)]
        argv += ["--flow-format", self.flow_format, "--shape", self.shape]
        if self.one_shard:
            argv += ["--projects-per-shard", str(self.projects)]
        return argv

    def title(self) -> str:
        return (
            f"{self.flows} flows, Flow {self.flow_format}, shape {self.shape}, prefix {self.prefix}"
        )


# --------------------------------------------------------------------------- CLI subprocesses


def cli_command() -> list[str]:
    """The console script next to this interpreter, else ``python -m azkaban_seeder.cli``."""
    script = Path(sys.executable).with_name("azkaban-seeder")
    return [str(script)] if script.exists() else [sys.executable, "-m", "azkaban_seeder.cli"]


@dataclass
class CliRun:
    """A finished CLI call: exit code, wall time and its output lines with arrival times."""

    argv: list[str]
    code: int | None
    seconds: float
    ended: float
    stdout: list[tuple[float, str]]
    stderr: list[tuple[float, str]]

    @property
    def text(self) -> str:
        return "\n".join(line for _t, line in self.stdout)


class RunningCli:
    """One ``azkaban-seeder`` call in its own process group, output read by two threads."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.argv = [*cli_command(), *args]
        self.stdout: list[tuple[float, str]] = []
        self.stderr: list[tuple[float, str]] = []
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: scenario 2 kills it whole
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None  # for mypy
        self.readers = [
            threading.Thread(target=_read_lines, args=(self.proc.stdout, self.stdout)),
            threading.Thread(target=_read_lines, args=(self.proc.stderr, self.stderr)),
        ]
        for reader in self.readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float = HANG_SECONDS) -> CliRun:
        """Wait for the exit; past ``timeout`` the group is killed and ``code`` is None."""
        try:
            code: int | None = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            self.proc.wait()
            code = None
        ended = time.monotonic()
        for reader in self.readers:
            reader.join(timeout=10)
        return CliRun(
            self.argv, code, ended - self.started, ended, list(self.stdout), list(self.stderr)
        )


def _read_lines(stream: IO[str], into: list[tuple[float, str]]) -> None:
    for line in stream:
        into.append((time.monotonic(), line.rstrip("\n")))


def cli_env(url: str, tmpdir: Path) -> dict[str, str]:
    """Connection variables, and a TMPDIR of our own: a SIGKILLed apply cannot remove its zip
    directory, so scenario 2 counts what it left and the run's temp dir takes it away."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZKABAN")}
    env.update(AZKABAN_URL=url, AZKABAN_USER=USER, AZKABAN_PASSWORD=PASSWORD)
    tmpdir.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmpdir)
    return env


def run_cli(args: list[str], env: dict[str, str]) -> CliRun:
    return RunningCli(args, env).wait()


ERROR_RE = re.compile(r"ERROR|: error:|Traceback")
RETRY_LOG_RE = re.compile(r"attempt \d+/\d+ failed")


def show(label: str, run: CliRun, max_lines: int = 40) -> None:
    """Print a CLI call's wall time, its stdout summary and its error lines."""
    outcome = "HUNG (killed)" if run.code is None else f"exit {run.code}"
    print(f"  {label}: {outcome} in {run.seconds:.1f}s")
    lines = [line for _t, line in run.stdout]
    for line in lines[:max_lines]:
        print(f"    | {line}")
    if len(lines) > max_lines:
        print(f"    | ... {len(lines) - max_lines} more line(s)")
    errors = [line for _t, line in run.stderr if ERROR_RE.search(line)]
    retried = sum(1 for _t, line in run.stderr if RETRY_LOG_RE.search(line))
    if retried:
        print(f"    stderr: {retried} retry warning(s) ('attempt N/M failed (reason)')")
    for line in errors[:5]:
        print(f"    stderr! {line}")


# --------------------------------------------------------------------------- independent census


@dataclass
class Census:
    """What the server holds for one prefix, counted without the client under test."""

    projects: int = 0
    projects_twice: list[str] = field(default_factory=list)
    empty_projects: int = 0
    flows: int = 0
    flow_ids_twice: int = 0
    missing: int = 0
    unexpected: int = 0

    def problems(self, spec: Spec) -> list[str]:
        found = []
        if self.projects != spec.projects:
            found.append(f"census: {self.projects} projects, planned {spec.projects}")
        if self.projects_twice:
            found.append(f"census: projects listed twice {self.projects_twice[:5]}")
        if self.flows != spec.flows:
            found.append(f"census: {self.flows} flows, planned {spec.flows}")
        if self.flow_ids_twice or self.missing or self.unexpected:
            found.append(
                f"census: {self.flow_ids_twice} duplicate flow ids, {self.missing} missing, "
                f"{self.unexpected} unexpected"
            )
        return found

    def line(self) -> str:
        return (
            f"{self.projects} projects ({len(self.projects_twice)} listed twice, "
            f"{self.empty_projects} empty), {self.flows} flows ({self.flow_ids_twice} ids twice), "
            f"missing {self.missing}, unexpected {self.unexpected}"
        )


class Observer:
    """Plain ``requests`` against the sandbox: census, polling and the ``/_sandbox/`` controls."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.session_id = ""

    def login(self) -> None:
        """``POST /`` with ``action=login`` (url-encoded) -> ``session.id``."""
        reply = self.http.post(
            f"{self.url}/",
            data={"action": "login", "username": USER, "password": PASSWORD},
            timeout=HTTP_TIMEOUT,
        )
        reply.raise_for_status()
        self.session_id = str(reply.json()["session.id"])

    def _ajax(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        if not self.session_id:
            self.login()
        query = {**params, "session.id": self.session_id}
        reply = self.http.get(f"{self.url}{path}", params=query, timeout=HTTP_TIMEOUT)
        reply.raise_for_status()
        body: dict[str, Any] = reply.json()
        if body.get("error") == "session":
            self.login()
            return self._ajax(path, params)
        return body

    def project_names(self, prefix: str) -> list[str]:
        """``GET /index?ajax=fetchallprojects``, names ``{prefix}_NNNNN`` (any case)."""
        pattern = re.compile(re.escape(prefix) + r"_\d{5,6}", re.IGNORECASE)
        body = self._ajax("/index", {"ajax": "fetchallprojects"})
        names = [str(p["projectName"]) for p in body.get("projects", [])]
        return [n for n in names if pattern.fullmatch(n)]

    def flow_ids(self, project: str) -> list[str]:
        """``GET /manager?ajax=fetchprojectflows&project=P``."""
        body = self._ajax("/manager", {"ajax": "fetchprojectflows", "project": project})
        if "error" in body:
            raise RuntimeError(f"fetchprojectflows {project}: {body['error']}")
        return [str(f["flowId"]) for f in body.get("flows", [])]

    def census(self, spec: Spec) -> Census:
        names = self.project_names(spec.prefix)
        seen = Counter(n.lower() for n in names)
        counts: Counter[str] = Counter()
        empty = 0
        for name in names:
            ids = self.flow_ids(name)
            empty += not ids
            counts.update(ids)
        expected = {flow_id_for(i) for i in range(spec.flows)}
        return Census(
            projects=len(names),
            projects_twice=sorted(n for n, c in seen.items() if c > 1),
            empty_projects=empty,
            flows=sum(counts.values()),
            flow_ids_twice=sum(c - 1 for c in counts.values() if c > 1),
            missing=len(expected - set(counts)),
            unexpected=len(set(counts) - expected),
        )

    def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """``/_sandbox/`` test-control API (GET without a body, POST with one)."""
        if body is None:
            reply = self.http.get(f"{self.url}/_sandbox/{path}", timeout=HTTP_TIMEOUT)
        else:
            reply = self.http.post(f"{self.url}/_sandbox/{path}", json=body, timeout=HTTP_TIMEOUT)
        reply.raise_for_status()
        result: dict[str, Any] = reply.json()
        return result


# --------------------------------------------------------------------------- sandbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sandbox_log(workdir: Path) -> Path:
    """The sandbox's stderr: it logs every injected fault (kind, path, ajax/action)."""
    return workdir / "sandbox.log"


@contextmanager
def sandbox(workdir: Path) -> Iterator[str]:
    """``azkaban-sandbox`` on a free port with a temp data dir; yields its URL once it
    answers a login."""
    port = free_port()
    log = sandbox_log(workdir).open("w")
    argv = [sys.executable, "-m", "azkaban_sandbox", "--port", str(port)]
    argv += ["--data-dir", str(workdir / "data")]
    proc = subprocess.Popen([*argv, "--log-level", "WARNING"], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_login(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_for_login(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            Observer(url).login()
            return
        except requests.RequestException:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox at {url} did not answer a login") from None
            time.sleep(0.2)


# --------------------------------------------------------------------------- checks


@dataclass
class Context:
    url: str
    env: dict[str, str]
    observer: Observer
    processes: int
    sandbox_log: Path


VERIFY_RE = re.compile(
    r"present (\d+)/(\d+)\s+missing (\d+)\s+unexpected (\d+)\s+missing projects (\d+)"
)
INDEPENDENT_RE = re.compile(r"independent count: (\d+)")
RETRIES_RE = re.compile(r"^retries: (.*)$", re.MULTILINE)


def apply_args(ctx: Context, spec: Spec, *extra: str) -> list[str]:
    return ["apply", *spec.args(), "--processes", str(ctx.processes), *extra]


def check_exact(ctx: Context, spec: Spec) -> list[str]:
    """``verify`` CLI (exit code, counts, its own independent count) and our census."""
    problems: list[str] = []
    run = run_cli(["verify", *spec.args()], ctx.env)
    show("verify", run)
    if run.code != 0:
        problems.append(f"verify exit {run.code}")
    counts = VERIFY_RE.search(run.text)
    independent = INDEPENDENT_RE.search(run.text)
    if counts is None or independent is None:
        problems.append("verify summary not understood")
    else:
        present, expected, missing, unexpected, gone = (int(g) for g in counts.groups())
        if (present, expected, missing, unexpected, gone) != (spec.flows, spec.flows, 0, 0, 0):
            problems.append(f"verify counts {counts.group(0)!r}")
        if int(independent.group(1)) != spec.flows:
            problems.append(f"verify independent count {independent.group(1)}")
    census = ctx.observer.census(spec)
    print(f"  census (plain requests): {census.line()}")
    return problems + census.problems(spec)


def verdict(name: str, problems: list[str]) -> bool:
    status = "PASS" if not problems else "FAIL"
    print(f"{status} {name}" + ("" if not problems else ": " + "; ".join(problems)))
    return not problems


def header(text: str) -> None:
    print(f"\n== {text}", flush=True)


# --------------------------------------------------------------------------- scenarios


def scenario_apply_verify(ctx: Context, spec: Spec) -> list[str]:
    """1. apply, then verify: all present, none missing or unexpected; the census agrees."""
    header(f"scenario 1: apply + verify, {spec.title()}")
    run = run_cli(apply_args(ctx, spec), ctx.env)
    show("apply", run)
    problems = [] if run.code == 0 else [f"apply exit {run.code}"]
    return problems + check_exact(ctx, spec)


def _wait_for_projects(ctx: Context, cli: RunningCli, prefix: str, target: int) -> int:
    """Poll ``fetchallprojects`` until ``target`` projects of ``prefix`` exist (or the CLI
    exits); returns the count last seen."""
    count = 0
    while cli.proc.poll() is None:
        count = len(ctx.observer.project_names(prefix))
        if count >= target:
            break
        time.sleep(0.1)
    return count


def scenario_killed_apply(ctx: Context, spec: Spec) -> list[str]:
    """2. apply SIGKILLed (process group) at about half the projects; the re-run is exact."""
    header(f"scenario 2: apply killed midway, then re-run; {spec.title()}")
    cli = RunningCli(apply_args(ctx, spec), ctx.env)
    seen = _wait_for_projects(ctx, cli, spec.prefix, spec.projects // 2)
    group = [*_descendants(cli.pid), cli.pid]
    cli.kill_group()
    killed = cli.wait()
    time.sleep(0.5)
    survivors = [pid for pid in group if _alive(pid)]
    at_kill = ctx.observer.census(spec)
    print(
        f"  SIGKILL of the CLI's process group ({len(group)} processes) after {killed.seconds:.1f}s"
        f" with {seen}/{spec.projects} projects seen; still alive after 0.5s: {len(survivors)}"
    )
    print(f"  state after the kill: {at_kill.line()}")
    leftovers = list(Path(ctx.env["TMPDIR"]).glob("azkaban-seeder-zips-*"))
    files = sum(len(list(d.iterdir())) for d in leftovers)
    print(f"  left behind by the killed run: {len(leftovers)} zip dir(s), {files} file(s)")
    problems = []
    if killed.code is not None and killed.code >= 0:
        problems.append(f"apply finished (exit {killed.code}) before the kill")
    if at_kill.projects == 0 or at_kill.flows >= spec.flows:
        problems.append("the kill did not land midway (nothing or everything was there)")
    if survivors:
        problems.append(f"processes survived the kill: {survivors}")
    rerun = run_cli(apply_args(ctx, spec), ctx.env)
    show("re-run apply", rerun)
    if rerun.code != 0:
        problems.append(f"re-run apply exit {rerun.code}")
    return problems + check_exact(ctx, spec)


def _descendants(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def scenario_faults(ctx: Context, spec: Spec, seed: int) -> list[str]:
    """3. 20% of requests faulted (every kind): apply still ends exact, retries counted."""
    header(f"scenario 3: fault injection at 20% (all kinds), {spec.title()}")
    settings = {"rate": 0.2, "seed": seed, "kinds": list(FAULT_KINDS)}
    ctx.observer.control("faults", {**settings, "slow_seconds": SLOW_SECONDS})
    print(
        f"  faults: rate 0.2, seed {seed}, kinds {','.join(FAULT_KINDS)}, slow {SLOW_SECONDS}s; "
        f"CLI --timeout {CLI_TIMEOUT} --upload-timeout {CLI_TIMEOUT}"
    )
    before = ctx.observer.control("stats")
    log_offset = ctx.sandbox_log.stat().st_size
    timeouts = ["--timeout", str(CLI_TIMEOUT), "--upload-timeout", str(CLI_TIMEOUT)]
    try:
        run = run_cli(apply_args(ctx, spec, *timeouts), ctx.env)
        stats = ctx.observer.control("stats")
    finally:
        ctx.observer.control("faults", {"rate": 0.0})
    show("apply under faults", run)
    injected = Counter(stats.get("faults", {})) - Counter(before.get("faults", {}))
    requests_made = stats["requests_total"] - before["requests_total"]
    print(
        f"  sandbox: {requests_made} Azkaban requests, {sum(injected.values())} faults injected: "
        + ", ".join(f"{k}={v}" for k, v in sorted(injected.items()))
    )
    for request, kinds in sorted(_faults_by_request(ctx.sandbox_log, log_offset).items()):
        print(f"    {request}: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    retries = RETRIES_RE.search(run.text)
    print(f"  client retries by reason: {retries.group(1) if retries else '(not found)'}")
    problems = [] if run.code == 0 else [f"apply exit {run.code}"]
    if retries is None or retries.group(1) == "none":
        problems.append("no retries shown in the summary")
    print("  faults off; now verify and census")
    return problems + check_exact(ctx, spec)


FAULT_LOG_RE = re.compile(r"injected fault (\S+) on (\S+) ajax/action=(\S+)")


def _faults_by_request(log: Path, offset: int) -> dict[str, Counter[str]]:
    """Injected faults per request kind (``/manager upload``...) from the sandbox's log."""
    found: dict[str, Counter[str]] = {}
    with log.open() as stream:
        stream.seek(offset)
        for match in FAULT_LOG_RE.finditer(stream.read()):
            kind, path, ajax = match.groups()
            found.setdefault(f"{path} {ajax}", Counter())[kind] += 1
    return found


def _pool_workers(cli: RunningCli) -> list[psutil.Process]:
    """The CLI's pool workers: children of its fork server (not the server, not the
    resource tracker)."""
    found = []
    server = "multiprocessing.forkserver"
    for pid in _descendants(cli.pid):
        try:
            child = psutil.Process(pid)
            parent = child.parent()
            if (
                parent is not None
                and parent.ppid() == cli.pid
                and server in " ".join(parent.cmdline())
                and server in " ".join(child.cmdline())
            ):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return sorted(found, key=lambda p: p.pid)


def _kill_a_worker(ctx: Context, cli: RunningCli, spec: Spec) -> tuple[float, int, int] | None:
    """Once a third of the projects exist, SIGKILL one worker: (time, pid, projects seen)."""
    seen = _wait_for_projects(ctx, cli, spec.prefix, max(2, spec.projects // 3))
    workers = _pool_workers(cli)
    if cli.proc.poll() is not None or not workers:
        return None
    victim = workers[0]
    victim.send_signal(signal.SIGKILL)
    return time.monotonic(), victim.pid, seen


def scenario_worker_killed(ctx: Context, spec: Spec) -> list[str]:
    """4. A worker SIGKILLed mid-shard fails the shard within seconds; a re-run converges."""
    header(f"scenario 4: a pool worker SIGKILLed mid-shard (one shard), {spec.title()}")
    ctx.observer.control("costs", COST)
    print(f"  sandbox upload cost model: {COST}")
    try:
        return _worker_killed_and_rerun(ctx, spec)
    finally:
        ctx.observer.control("costs", NO_COST)


def _worker_killed_and_rerun(ctx: Context, spec: Spec) -> list[str]:
    cli = RunningCli(apply_args(ctx, spec), ctx.env)
    killed = _kill_a_worker(ctx, cli, spec)
    run = cli.wait()
    if killed is None:
        show("apply", run)
        return ["could not find a worker to kill before apply ended"]
    kill_time, pid, seen = killed
    to_exit = run.ended - kill_time
    error_lines = [(t, line) for t, line in run.stderr if t >= kill_time and "ERROR" in line]
    print(
        f"  SIGKILL worker pid {pid} at {kill_time - cli.started:.1f}s "
        f"({seen}/{spec.projects} projects existed)"
    )
    show("apply", run, max_lines=12)
    if error_lines:
        first_time, first_line = error_lines[0]
        print(f"  first error line {first_time - kill_time:.2f}s after the kill: {first_line}")
    print(f"  kill -> CLI exit: {to_exit:.2f}s (limit {KILL_EXIT_LIMIT:.0f}s)")
    problems = []
    if run.code != 1:
        problems.append(f"apply exit {run.code}, expected 1 (failed)")
    if to_exit > KILL_EXIT_LIMIT:
        problems.append(f"kill -> exit took {to_exit:.1f}s")
    if not any("died" in line for _t, line in error_lines):
        problems.append("no error line naming the dead worker")
    rerun = run_cli(apply_args(ctx, spec), ctx.env)
    show("re-run apply", rerun)
    print(f"  the uninterrupted re-run took {rerun.seconds:.1f}s with the cost model on")
    if rerun.code != 0:
        problems.append(f"re-run apply exit {rerun.code}")
    return problems + check_exact(ctx, spec)


# --------------------------------------------------------------------------- main


def scenario_one_specs(flows: int, quick: bool) -> list[Spec]:
    """Both formats and both shapes; ``--quick`` keeps two runs that still cover all four."""
    specs = [
        Spec("acc1a", flows, "1.0", "single"),
        Spec("acc1b", flows, "2.0", "single"),
        Spec("acc1c", flows, "1.0", "mix"),
        Spec("acc1d", flows, "2.0", "mix"),
    ]
    return [specs[0], specs[3]] if quick else specs


def run_all(ctx: Context, flows: int, seed: int, quick: bool) -> dict[str, bool]:
    outcomes: dict[str, bool] = {}
    for spec in scenario_one_specs(flows, quick):
        name = f"1 apply+verify Flow {spec.flow_format} {spec.shape}"
        outcomes[name] = verdict(name, scenario_apply_verify(ctx, spec))
    name = "2 killed apply, re-run exact"
    outcomes[name] = verdict(name, scenario_killed_apply(ctx, Spec("acc2", flows)))
    name = "3 faults at 20%, exact with retries"
    outcomes[name] = verdict(name, scenario_faults(ctx, Spec("acc3", flows), seed))
    name = "4 worker killed, shard fails fast, re-run converges"
    spec = Spec("acc4", flows, one_shard=True)
    outcomes[name] = verdict(name, scenario_worker_killed(ctx, spec))
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 flows per scenario")
    parser.add_argument("--flows", type=int, help="flows per scenario (default 10,000)")
    parser.add_argument("--processes", type=int, default=2, help="apply --processes")
    parser.add_argument("--seed", type=int, default=7, help="fault injection seed")
    args = parser.parse_args()
    flows = args.flows or (2_000 if args.quick else 10_000)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="acceptance-") as tmp, sandbox(Path(tmp)) as url:
        print(f"sandbox {url}; CLI {' '.join(cli_command())}; {flows} flows per scenario")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        observer = Observer(url)
        env = cli_env(url, Path(tmp) / "cli-tmp")
        ctx = Context(url, env, observer, args.processes, sandbox_log(Path(tmp)))
        outcomes = run_all(ctx, flows, args.seed, args.quick)
    header(f"summary ({time.monotonic() - started:.0f}s)")
    for name, ok in outcomes.items():
        print(f"{'PASS' if ok else 'FAIL'} {name}")
    return 0 if all(outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""A dead server ends the run within the outage window; a short restart is ridden out.

The sandbox runs as a real subprocess here so it can be killed (SIGKILL) and restarted on the
same port and data directory mid-run.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from runner_helpers import fast_options

from azkaban_seeder.azkaban import (
    AzkabanClient,
    ConnectionSettings,
    ServerUnreachable,
    SharedHealth,
)
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.runner import ProjectResult, apply
from azkaban_seeder.runner.worker import retry_policy
from azkaban_seeder.spec import EnvSpec
from azkaban_seeder.verify import verify


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    """``python -m azkaban_sandbox`` on a fixed port and data dir; kill and start again."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "azkaban_sandbox", "--port", str(self.port)]
        argv += ["--data-dir", str(self.data_dir), "--log-level", "WARNING"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/status", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("sandbox did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SandboxProcess]:
    sandbox = SandboxProcess(tmp_path / "data")
    sandbox.start()
    yield sandbox
    sandbox.kill()


def _spec(prefix: str, projects: int) -> EnvSpec:
    return EnvSpec(
        flow_count=projects, flows_per_project=1, projects_per_shard=projects, prefix=prefix
    )


def _settings(url: str) -> ConnectionSettings:
    return ConnectionSettings(url=url, user="azkaban", password="azkaban", timeout=10.0)


def _kill_after(count: int, action: object) -> object:
    seen: list[ProjectResult] = []

    def on_progress(result: ProjectResult) -> None:
        seen.append(result)
        if len(seen) == count:
            threading.Thread(target=action, daemon=True).start()  # type: ignore[arg-type]

    return on_progress


@pytest.mark.parametrize("processes", [1, 3])
def test_a_server_killed_for_good_ends_the_run_within_the_window(
    server: SandboxProcess, processes: int
) -> None:
    # Regression: killed for good after 4 of 20 uploads, apply took 86-104 s to give up (with
    # 100 projects 448 s): every remaining project spent its own retry budget.
    window = 3.0
    spec = _spec("dead", 30)
    options = fast_options(processes, outage_seconds=window, retry_attempts=50)
    started = time.monotonic()

    result = apply(
        spec,
        _settings(server.url),
        options,
        on_progress=_kill_after(4, server.kill),  # type: ignore[arg-type]
    )

    elapsed = time.monotonic() - started
    errors = [p.error for p in result.failed]
    assert elapsed < window + 15, elapsed
    assert 0 < len(result.failed) <= 30 - 4
    assert all("unreachable" in str(e) for e in errors), errors[:3]
    if processes == 1:  # one at a time: the rest is never tried
        assert str(errors[-1]).startswith("not attempted: server unreachable since")


def test_verify_after_the_outage_fails_fast_on_the_same_clock(server: SandboxProcess) -> None:
    health = SharedHealth.create()
    settings = _settings(server.url)
    spec = _spec("vdead", 40)
    server.kill()
    started = time.monotonic()
    from azkaban_seeder.azkaban import RetryPolicy

    client = AzkabanClient(settings, RetryPolicy(outage_seconds=2.0), health=health)
    report = verify(spec, client, plan_projects(spec))
    assert time.monotonic() - started < 2.0 + 12
    assert not report.ok and len(report.errors) == 40
    assert all("unreachable" in text for text in report.errors.values())


class SilentServer:
    """A TCP listener that never accepts: the kernel completes the handshake (backlog) and the
    request is sent, but no reply ever comes, like a SIGSTOPped server."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_after_a_silent_server_stops_a_shard_the_rest_of_the_run_fails_fast(
    silent: SilentServer,
) -> None:
    # Regression (acceptance b2, sandbox SIGSTOPped mid-run: exit after 124 s, not ~61 s): the
    # shard gave up on the silent server after the outage window, but nothing had marked the
    # run's board down (no request had failed yet), so the final verify sent fresh requests
    # and waited out the full read timeout before its circuit opened.
    window, read_timeout = 2.0, 60.0
    settings = ConnectionSettings(
        url=silent.url, user="azkaban", password="azkaban", timeout=read_timeout
    )
    spec = EnvSpec(flow_count=4, flows_per_project=1, projects_per_shard=2, prefix="quiet")
    # force: no project list at the shard's start (its short timeout would mark the board
    # down first); the workers' own requests go silent, as after a SIGSTOP mid-run.
    options = fast_options(2, outage_seconds=window, force=True)
    health = SharedHealth.create()
    started = time.monotonic()

    result = apply(spec, settings, options, health=health)

    assert time.monotonic() - started < window + 20  # long before any read timeout
    first, second = result.shards
    assert first.error is not None and "no reply since" in first.error
    assert health.down_since() is not None  # the shard marked the board down
    assert all(p.error and p.error.startswith("not attempted: server") for p in second.projects)

    client = AzkabanClient(settings, retry_policy(options), health=health)
    started = time.monotonic()
    report = verify(spec, client, plan_projects(spec))
    with pytest.raises(ServerUnreachable):
        client.fetch_all_projects()
    assert time.monotonic() - started < 2.0  # the read timeout is 60 s
    assert len(report.errors) == 4
    assert all("unreachable" in text for text in report.errors.values())


@pytest.mark.parametrize("processes", [1, 3])
def test_a_short_restart_is_ridden_out_and_the_result_is_exact(
    server: SandboxProcess, processes: int
) -> None:
    # Regression: 6 attempts with full jitter spanned ~8 s, so a 10 s restart failed the run.
    def restart() -> None:
        server.kill()
        time.sleep(4.0)
        server.start()

    spec = _spec("back", 24)
    options = fast_options(processes, outage_seconds=30.0, retry_attempts=2)

    result = apply(spec, _settings(server.url), options, on_progress=_kill_after(3, restart))  # type: ignore[arg-type]

    assert result.ok, [p.error for p in result.failed][:3]
    checked = verify(spec, _settings(server.url), plan_projects(spec))
    assert checked.ok and checked.present == 24

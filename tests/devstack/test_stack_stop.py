"""`EmbeddedAirflow.stop`'s last resort: processes that ignore SIGTERM are killed, and gone
before it returns."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from azkaban_devstack import stack
from azkaban_seeder.runner.lifeline import pid_alive

IGNORES_SIGTERM = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
    "time.sleep(600)\n"
)


def _start_stubborn() -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def test_a_process_that_ignores_sigterm_is_killed() -> None:
    proc = _start_stubborn()
    try:
        stack._kill_remaining({proc.pid}, deadline=time.monotonic() + 0.5)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()


def test_it_returns_only_once_the_killed_processes_are_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGKILL is delivered asynchronously (a process inside a system call dies when it
    leaves it). Here the process is gone only 0.5 s after the signal is sent, as a busy
    machine showed once: the caller checks right after the return and must find it gone."""
    proc = _start_stubborn()
    killed_at: list[float] = []
    real_kill = stack.os.kill

    def kill(pid: int, sig: int) -> None:
        if pid == proc.pid and sig == signal.SIGKILL and not killed_at:
            killed_at.append(time.monotonic())
            return  # sent later, below
        real_kill(pid, sig)

    def alive(pid: int) -> bool:
        if killed_at and pid == proc.pid and time.monotonic() - killed_at[0] >= 0.5:
            if proc.poll() is None:
                real_kill(pid, signal.SIGKILL)
                proc.wait(timeout=10)
        return pid_alive(pid)

    monkeypatch.setattr(stack.os, "kill", kill)
    monkeypatch.setattr(stack, "pid_alive", alive)
    try:
        stack._kill_remaining({proc.pid}, deadline=time.monotonic() + 0.3)
        assert killed_at, "SIGKILL was never sent"
        assert not pid_alive(proc.pid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

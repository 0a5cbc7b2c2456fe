"""Keep pool children from outliving their parent.

A worker whose owner died (an Airflow task killed with SIGKILL, a crashed CLI) would keep
uploading to Azkaban with nobody collecting its results. The owner is the process that runs
the pool; with the ``forkserver`` start method the worker's direct parent is the fork server,
which exits when the owner does. Two independent guards:

* Linux ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel signals the child when the thread
  that started it (the fork server, or the owner under ``spawn``) exits;
* a daemon thread polling: the owner's pid still alive, and ``os.getppid()`` unchanged (a
  re-parented child lost its parent). Works everywhere.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def request_death_signal(signum: int = signal.SIGTERM) -> bool:
    """Ask the Linux kernel to send ``signum`` to this process when its parent exits."""
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)) == 0
    except OSError:
        logger.debug("prctl unavailable; relying on the parent watchdog only")
        return False


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` is alive: it exists (signal 0 checks without sending
    anything) and, where ``/proc`` tells, is not a zombie (dead, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[-1].split()[0] != "Z"
    return True


def orphaned(owner_pid: int, parent_pid: int) -> bool:
    """The owner is gone, or this process was re-parented (its parent at start is gone)."""
    return os.getppid() != parent_pid or not pid_alive(owner_pid)


def _watch_owner(owner_pid: int, parent_pid: int, poll: float) -> None:
    while True:
        if orphaned(owner_pid, parent_pid):
            # Nobody will read our results: stop right now.
            os._exit(70)
        time.sleep(poll)


def die_with_parent(owner_pid: int, poll: float = POLL_SECONDS) -> None:
    """Install both guards for a child of the pool run by ``owner_pid``."""
    request_death_signal()
    parent_pid = os.getppid()
    if parent_pid == 1 or not pid_alive(owner_pid):
        os._exit(70)
    watchdog = threading.Thread(
        target=_watch_owner, args=(owner_pid, parent_pid, poll), name="owner-watchdog", daemon=True
    )
    watchdog.start()

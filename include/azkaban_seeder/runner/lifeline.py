"""Keep pool children from outliving their parent.

A worker whose parent died (an Airflow task killed with SIGKILL, a crashed CLI) would keep
uploading to Azkaban with nobody collecting its results. Two independent guards:

* Linux ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel signals the child when the thread
  that started it exits;
* a daemon thread polling ``os.getppid()``: works everywhere and also covers re-parenting.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time

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


def _watch_parent(parent_pid: int, poll: float) -> None:
    while True:
        if os.getppid() != parent_pid:
            # The parent is gone: nobody will read our results, stop right now.
            os._exit(70)
        time.sleep(poll)


def die_with_parent(parent_pid: int, poll: float = POLL_SECONDS) -> None:
    """Install both guards for a child whose expected parent is ``parent_pid``."""
    request_death_signal()
    if os.getppid() != parent_pid:
        os._exit(70)
    watchdog = threading.Thread(
        target=_watch_parent, args=(parent_pid, poll), name="parent-watchdog", daemon=True
    )
    watchdog.start()

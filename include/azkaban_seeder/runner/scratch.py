"""The runner's scratch directory: where pool workers leave notes for the parent.

One directory per `ShardRunner`, removed when it closes. It holds only the in-flight notes
(`inflight`): small files written when a call is retried, read by the parent when it
abandons a project. Zips never touch it: each worker builds, checks and uploads its zip in
memory (`worker.checked_zip`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

#: A memory-backed directory for the scratch files, when the machine has one with room.
MEMORY_DIR = Path("/dev/shm")
#: Free space `MEMORY_DIR` must have to be used.
MEMORY_DIR_MIN_FREE = 256 * 1024 * 1024


def scratch_parent(memory_dir: Path = MEMORY_DIR) -> str | None:
    """Where a runner's scratch directory goes: ``memory_dir`` (tmpfs) if it is a writable
    directory with `MEMORY_DIR_MIN_FREE` free, else None (the system's temp directory).

    A note is written while a call is being retried, i.e. while something is already slow;
    on tmpfs the write costs no journal commit on a disk that is busy too."""
    try:
        if not (memory_dir.is_dir() and os.access(memory_dir, os.W_OK | os.X_OK)):
            return None
        stats = os.statvfs(memory_dir)
    except OSError:
        return None
    return str(memory_dir) if stats.f_bavail * stats.f_frsize >= MEMORY_DIR_MIN_FREE else None


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` so that a reader sees the old file or the whole new one:
    a temporary name unique to this process and thread, then a rename."""
    pending = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    pending.write_text(text)
    pending.replace(target)

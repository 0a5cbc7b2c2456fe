"""A zip writer whose bytes depend only on the entries written.

Every entry gets the same timestamp (1980-01-01 00:00, the zip epoch), the same permissions
(0644, Unix), the same compression (deflate, fixed level), and entries must come in strictly
sorted name order. The output is written through a non-seekable counting/hashing stream, so
`zipfile` streams each entry once with a data descriptor instead of seeking back: the bytes and
the SHA-256 are identical whether the target is a file, a socket-like stream or memory, and the
hash costs no second pass.
"""

from __future__ import annotations

import hashlib
import zipfile
from types import TracebackType
from typing import BinaryIO

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
COMPRESS_LEVEL = 6
_UNIX = 3


class _HashingStream:
    """Write-only wrapper: forwards bytes, counts them, hashes them. Deliberately unseekable."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._out.write(data)
        self.size += len(data)
        self.sha256.update(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        """The caller owns the target stream; closing the zip must not close it."""


class DeterministicZip:
    """Context manager: ``add(name, data)`` in sorted name order, then read ``size``/``sha256``."""

    def __init__(self, out: BinaryIO) -> None:
        self._stream = _HashingStream(out)
        self._zip = zipfile.ZipFile(
            self._stream,
            mode="w",
            compression=zipfile.ZIP_DEFLATED,
            compresslevel=COMPRESS_LEVEL,
        )
        self._last_name: str | None = None
        self.entries = 0

    def add(self, name: str, data: bytes) -> None:
        """Add one file; names must be strictly increasing (that is what makes order stable)."""
        if self._last_name is not None and name <= self._last_name:
            raise ValueError(f"zip entries out of order: {name!r} after {self._last_name!r}")
        self._last_name = name
        info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
        info.create_system = _UNIX
        info.external_attr = FILE_MODE << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data, compresslevel=COMPRESS_LEVEL)
        self.entries += 1

    def close(self) -> None:
        self._zip.close()
        self._stream.flush()

    @property
    def size(self) -> int:
        return self._stream.size

    @property
    def sha256(self) -> str:
        return self._stream.sha256.hexdigest()

    def __enter__(self) -> DeterministicZip:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

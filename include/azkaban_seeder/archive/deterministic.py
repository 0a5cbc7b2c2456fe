"""A zip writer whose bytes depend only on the entries written.

Every entry gets the same timestamp (1980-01-01 00:00, the zip epoch), the same permissions
(0644, Unix), the same compression (raw deflate, fixed level, a window sized by the entry's
length, see `deflate`), and entries must come in strictly sorted name order.

The records (PKWARE APPNOTE 4.3: local file header, central directory, end of central
directory; the ZIP64 end records once there are more than 65,535 entries) are written here
rather than through `zipfile`: an entry is compressed in memory first, so its CRC and sizes are
known before its header is written, nothing is ever sought back or followed by a data
descriptor, and a small entry costs a few microseconds instead of the ~20 that `zipfile`'s
per-entry machinery takes (a 100-flow project is 100 entries; this is most of a project's
build time). The output is written in blocks through a counting, hashing stream, so the bytes
and the SHA-256 are identical whether the target is a file, a socket-like stream or memory,
and memory stays flat: one entry and one block at a time, plus 46 bytes plus the name per
entry for the central directory. `zipfile`, Java's ``ZipFile`` (Azkaban's unzip) and
``unzip`` read the result; the tests check all that are installed.
"""

from __future__ import annotations

import hashlib
import zlib
from types import TracebackType
from typing import BinaryIO

from azkaban_seeder.archive.records import (
    CENTRAL,
    CENTRAL_SIG,
    END,
    END64,
    END64_SIG,
    END_SIG,
    LOCAL,
    LOCAL_SIG,
    LOCATOR64,
    LOCATOR64_SIG,
    MAX_16,
    MAX_32,
    UTF8_FLAG,
)

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
COMPRESS_LEVEL = 6
BLOCK_BYTES = 64 * 1024
#: Deflate's window (2**bits bytes) and hash table bounds: zlib allows 9..15 bits for the
#: window and memory levels 1..9 (a hash table of 2**(level + 7) entries).
MIN_WINDOW_BITS = 9
MAX_WINDOW_BITS = 15
#: zlib keeps this many bytes of look-ahead, so a match reaches back at most the window
#: minus this (zlib's MIN_LOOKAHEAD).
_LOOKAHEAD = 262

# FIXED_DATE_TIME in the MS-DOS fields of the headers: years since 1980, month, day; and
# hours, minutes, seconds / 2.
_YEAR, _MONTH, _DAY, _HOUR, _MINUTE, _SECOND = FIXED_DATE_TIME
_DOS_DATE = ((_YEAR - 1980) << 9) | (_MONTH << 5) | _DAY
_DOS_TIME = (_HOUR << 11) | (_MINUTE << 5) | (_SECOND // 2)
_VERSION = 20  # 2.0: deflate; needed to extract and "made by"
_VERSION_ZIP64 = 45
_MADE_BY = (3 << 8) | _VERSION  # 3: Unix (so the permissions in external_attr apply)
_DEFLATE = 8


class ZipTooLarge(ValueError):
    """The archive or one entry passed 4 GiB, which this writer does not support."""


class _HashingStream:
    """Counts, hashes and forwards bytes in blocks of up to ``BLOCK_BYTES``."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.size = 0
        self.sha256 = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def write(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_bytes += len(data)
        self.size += len(data)
        if self._pending_bytes >= BLOCK_BYTES:
            self._forward()

    def _forward(self) -> None:
        block = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        self.sha256.update(block)
        self._out.write(block)

    def flush(self) -> None:
        self._forward()
        self._out.flush()


class DeterministicZip:
    """Context manager: ``add(name, data)`` in sorted name order, then read ``size``/``sha256``.

    Closing writes the central directory; the target stream itself is left open. ``keep``:
    a list that receives every ``(name, data)`` added (the runner checks those entries)."""

    def __init__(self, out: BinaryIO, keep: list[tuple[str, bytes]] | None = None) -> None:
        self._stream = _HashingStream(out)
        self._keep = keep
        self._central: list[bytes] = []
        self._last_name: str | None = None
        self._closed = False
        self.entries = 0

    def add(self, name: str, data: bytes) -> None:
        """Add one file; names must be strictly increasing (that is what makes order stable)."""
        if self._last_name is not None and name <= self._last_name:
            raise ValueError(f"zip entries out of order: {name!r} after {self._last_name!r}")
        self._last_name = name
        if self._keep is not None:
            self._keep.append((name, data))
        encoded, flags = _encode_name(name)
        packed = deflate(data)
        crc = zlib.crc32(data)
        offset = self._stream.size
        if len(data) > MAX_32 or len(packed) > MAX_32 or offset > MAX_32:
            raise ZipTooLarge(f"zip entry {name!r} would pass 4 GiB (not supported)")
        sizes = (crc, len(packed), len(data), len(encoded))
        common = (flags, _DEFLATE, _DOS_TIME, _DOS_DATE, *sizes)
        self._stream.write(LOCAL.pack(LOCAL_SIG, _VERSION, *common, 0) + encoded)
        self._stream.write(packed)
        attrs = (0, 0, 0, 0, FILE_MODE << 16, offset)  # extra, comment, disk, internal, ...
        self._central.append(
            CENTRAL.pack(CENTRAL_SIG, _MADE_BY, _VERSION, *common, *attrs) + encoded
        )
        self.entries += 1

    def close(self) -> None:
        """Write the central directory and the end records (once)."""
        if self._closed:
            return
        self._closed = True
        start = self._stream.size
        for record in self._central:
            self._stream.write(record)
        length = self._stream.size - start
        count = self.entries
        if start + length > MAX_32:
            raise ZipTooLarge("zip archive would pass 4 GiB (not supported)")
        if count > MAX_16:
            # More entries than the classic end record can count: ZIP64 end record + locator;
            # the classic record then says "see ZIP64" (0xFFFF).
            end64 = self._stream.size
            versions = (_VERSION_ZIP64, _VERSION_ZIP64, 0, 0)  # made by, needed, disks
            record = END64.pack(END64_SIG, END64.size - 12, *versions, count, count, length, start)
            self._stream.write(record)
            self._stream.write(LOCATOR64.pack(LOCATOR64_SIG, 0, end64, 1))
            count = MAX_16
        self._stream.write(END.pack(END_SIG, 0, 0, count, count, length, start, 0))
        self._central.clear()
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


def window_bits(size: int) -> int:
    """The smallest deflate window (in bits, `MIN_WINDOW_BITS`..`MAX_WINDOW_BITS`) through
    which every match in ``size`` bytes can still reach back to the entry's first byte."""
    return max(MIN_WINDOW_BITS, min(MAX_WINDOW_BITS, (size + _LOOKAHEAD).bit_length()))


def deflate(data: bytes) -> bytes:
    """Raw deflate (no zlib header) of one entry at `COMPRESS_LEVEL`, its window and hash table
    sized by the entry (`window_bits`).

    Job files are tens to hundreds of bytes; zlib's default state (a 32 KiB window and a
    32,768-entry hash table, ~256 KiB in all) is allocated and cleared for every one of
    them, and depending on the allocator's mood that costs 3 to 30 us per entry, more than
    the compression. A window that covers the entry finds the same matches (the stream
    reads the same with any inflater), with the hash table scaled to the window; the 60-byte
    entries of a default project come out byte for byte as with the default state, in a
    tenth of the time, and an entry of 16 KiB or more gets zlib's defaults."""
    bits = window_bits(len(data))
    if bits == MAX_WINDOW_BITS:
        return zlib.compress(data, COMPRESS_LEVEL, -MAX_WINDOW_BITS)
    packer = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -bits, bits - 7)
    return packer.compress(data) + packer.flush()


def _encode_name(name: str) -> tuple[bytes, int]:
    """The name's bytes and the flags that say how to read them (UTF-8 beyond ASCII)."""
    if name.isascii():
        return name.encode("ascii"), 0
    return name.encode("utf-8"), UTF8_FLAG

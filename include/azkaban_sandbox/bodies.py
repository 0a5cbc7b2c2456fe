"""Request body readers: Content-Length limited and chunked transfer-encoding.

The PyPI `azkaban` client streams its upload form from a generator, so requests sends it with
`Transfer-Encoding: chunked`; `http.server` does not decode that itself.
"""

from __future__ import annotations

from typing import Protocol


class BinaryIO(Protocol):
    """The socket file: `read` and `readline`."""

    def read(self, n: int = -1, /) -> bytes: ...

    def readline(self, limit: int = -1, /) -> bytes: ...


class BodyError(ValueError):
    """Malformed chunked encoding or a truncated body."""


class LimitedReader:
    """Reads at most `length` bytes from the socket file."""

    def __init__(self, raw: BinaryIO, length: int) -> None:
        self._raw = raw
        self._left = max(length, 0)

    def read(self, n: int = -1, /) -> bytes:
        """Up to n bytes (all remaining when n < 0)."""
        if self._left <= 0:
            return b""
        want = self._left if n < 0 else min(n, self._left)
        data = self._raw.read(want)
        self._left -= len(data)
        if not data:
            self._left = 0
        return data


class ChunkedReader:
    """Decodes `Transfer-Encoding: chunked`."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._left = 0
        self._done = False

    def _next_chunk(self) -> None:
        line = self._raw.readline(1024)
        if not line:
            raise BodyError("truncated chunked body")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise BodyError("bad chunk size") from exc
        if size == 0:
            while self._raw.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            self._done = True
        self._left = size

    def read(self, n: int = -1, /) -> bytes:
        """Up to n decoded bytes (everything when n < 0)."""
        out = bytearray()
        while not self._done and (n < 0 or len(out) < n):
            if self._left == 0:
                self._next_chunk()
                continue
            want = self._left if n < 0 else min(self._left, n - len(out))
            data = self._raw.read(want)
            if not data:
                raise BodyError("truncated chunk")
            out += data
            self._left -= len(data)
            if self._left == 0:
                self._raw.readline(16)  # CRLF after the chunk data
        return bytes(out)


def read_all(stream: LimitedReader | ChunkedReader, limit: int) -> bytes:
    """The whole body, refusing more than `limit` bytes."""
    out = bytearray()
    while True:
        chunk = stream.read(64 * 1024)
        if not chunk:
            return bytes(out)
        out += chunk
        if len(out) > limit:
            raise BodyError("Form too large")

"""A streaming `multipart/form-data` parser (commons-fileupload's role in the real server).

The body is read in chunks from the socket; text fields are kept in memory, the file part is
written to memory up to a threshold and spooled to a temp file beyond it (the real server spools
items over 20 MiB), so a large zip is never held twice. Part headers are parsed with
`email.parser`.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 256 * 1024
SPOOL_THRESHOLD = 20 * 1024 * 1024  # AbstractAzkabanServlet DEFAULT_UPLOAD_DISK_SPOOL_SIZE
MAX_HEADER_BYTES = 16 * 1024
MAX_FIELD_BYTES = 10 * 1024 * 1024


class MultipartError(ValueError):
    """Malformed multipart body (commons-fileupload would throw FileUploadException)."""


class Readable(Protocol):
    """Anything with `read(n)` (socket file, chunked decoder, BytesIO)."""

    def read(self, n: int = -1, /) -> bytes: ...


@dataclass
class FilePart:
    """A file part: in memory (`data`) or spooled to `path`."""

    field: str
    filename: str
    content_type: str | None
    size: int = 0
    data: bytes | None = None
    path: Path | None = None

    def payload(self) -> bytes | Path:
        """What the loader takes: bytes or a path."""
        if self.path is not None:
            return self.path
        return self.data or b""

    def discard(self) -> None:
        """Remove a spooled temp file, if any."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)


@dataclass
class MultipartBody:
    """Parsed form: text fields (first value wins later) and file parts by field name."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        """First value of a text field."""
        values = self.fields.get(name)
        return values[0] if values else None

    def discard(self) -> None:
        """Remove spooled files."""
        for part in self.files.values():
            part.discard()


class _Source:
    """Buffered reader that can stream up to a delimiter."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def read_until(self, delim: bytes, sink: Callable[[bytes], None], limit: int) -> None:
        """Feed bytes before `delim` to `sink`, consume `delim`; MultipartError if absent."""
        keep = len(delim) - 1
        total = 0
        while True:
            idx = self._buf.find(delim)
            if idx >= 0:
                total += idx
                if total > limit:
                    raise MultipartError("part too large")
                sink(bytes(self._buf[:idx]))
                del self._buf[: idx + len(delim)]
                return
            if len(self._buf) > keep:
                cut = len(self._buf) - keep
                total += cut
                if total > limit:
                    raise MultipartError("part too large")
                sink(bytes(self._buf[:cut]))
                del self._buf[:cut]
            if not self._fill():
                raise MultipartError("unexpected end of multipart body")

    def take(self, n: int) -> bytes:
        """Exactly up to n bytes (fewer at end of stream)."""
        while len(self._buf) < n and self._fill():
            pass
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def drain(self) -> None:
        """Read and drop the rest of the body (epilogue)."""
        self._buf.clear()
        while self._fill():
            self._buf.clear()


class _FileSink:
    """Collects a file part in memory, switching to a temp file past the threshold."""

    def __init__(self, spool_dir: Path | None, threshold: int) -> None:
        self._mem: io.BytesIO | None = io.BytesIO()
        self._file: BinaryIO | None = None
        self._spool_dir = spool_dir
        self._threshold = threshold
        self.size = 0
        self.path: Path | None = None

    def __call__(self, data: bytes) -> None:
        self.size += len(data)
        if self._mem is not None and self.size > self._threshold:
            fd, name = tempfile.mkstemp(suffix=".zip", dir=self._spool_dir)
            self.path = Path(name)
            self._file = open(fd, "wb")
            self._file.write(self._mem.getbuffer())
            self._mem = None
        if self._file is not None:
            self._file.write(data)
        elif self._mem is not None:
            self._mem.write(data)

    def finish(self) -> bytes | None:
        if self._file is not None:
            self._file.close()
            return None
        return self._mem.getvalue() if self._mem is not None else b""


def _headers(raw: bytes) -> Message:
    return BytesHeaderParser().parsebytes(raw)


def parse_multipart(
    stream: Readable,
    boundary: str,
    spool_dir: Path | None = None,
    threshold: int = SPOOL_THRESHOLD,
) -> MultipartBody:
    """Parse a multipart body read from `stream` (already de-chunked/length-limited)."""
    if not boundary:
        raise MultipartError("no boundary")
    src = _Source(stream)
    body = MultipartBody()
    dash = b"--" + boundary.encode("latin-1")
    src.read_until(dash, lambda _: None, MAX_FIELD_BYTES)  # preamble
    try:
        while src.take(2) != b"--":  # after a delimiter: CRLF, or "--" at the end
            raw: list[bytes] = []
            src.read_until(b"\r\n\r\n", raw.append, MAX_HEADER_BYTES)
            _read_part(
                src,
                headers=_headers(b"".join(raw)),
                delim=b"\r\n" + dash,
                body=body,
                spool_dir=spool_dir,
                threshold=threshold,
            )
    except MultipartError:
        body.discard()
        raise
    src.drain()
    return body


def _read_part(
    src: _Source,
    *,
    headers: Message,
    delim: bytes,
    body: MultipartBody,
    spool_dir: Path | None,
    threshold: int,
) -> None:
    name = headers.get_param("name", header="content-disposition")
    filename = headers.get_param("filename", header="content-disposition")
    name = str(name) if name is not None else ""
    if filename is None:
        chunks: list[bytes] = []
        src.read_until(delim, chunks.append, MAX_FIELD_BYTES)
        body.fields.setdefault(name, []).append(b"".join(chunks).decode("utf-8", "replace"))
        return
    sink = _FileSink(spool_dir, threshold)
    try:
        src.read_until(delim, sink, 1 << 40)
    finally:
        data = sink.finish()
    part = FilePart(name, str(filename), headers.get("content-type"), sink.size, data, sink.path)
    if name in body.files:
        part.discard()  # the servlet keeps the first item of a name
    else:
        body.files[name] = part

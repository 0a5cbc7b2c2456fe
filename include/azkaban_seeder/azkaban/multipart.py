"""A multipart/form-data body of known length, streamed from bytes or a file.

Azkaban's upload (spec 4.2) reads every field from the multipart body and needs a boundary in
the Content-Type. We always send an explicit Content-Length (never chunked transfer encoding:
proxies and old Jetty handle chunked uploads badly) without holding a large zip in memory twice.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO


class MultipartBody(io.RawIOBase):
    """Readable body: text fields, then one file part, then the closing boundary.

    `len(body)` is the exact byte count, so requests sets Content-Length and streams `read()`.
    Build a fresh instance per attempt (a body is consumed once).
    """

    def __init__(
        self,
        fields: Mapping[str, str],
        file_field: str,
        file_name: str,
        content: bytes | os.PathLike[str] | str,
        file_type: str = "application/zip",
    ) -> None:
        super().__init__()
        self.boundary = f"azkaban-seeder-{uuid.uuid4().hex}"
        head = io.BytesIO()
        for name, value in fields.items():
            head.write(self._part_header(f'name="{name}"', None))
            head.write(value.encode("utf-8") + b"\r\n")
        head.write(self._part_header(f'name="{file_field}"; filename="{file_name}"', file_type))
        self._head = head.getvalue()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")
        self._file: BinaryIO
        if isinstance(content, bytes | bytearray):
            self._file = io.BytesIO(bytes(content))
            file_size = len(content)
        else:
            path = Path(content)
            file_size = path.stat().st_size
            self._file = path.open("rb")
        self._length = len(self._head) + file_size + len(self._tail)
        self._stage = 0  # 0: head, 1: file, 2: tail, 3: done
        self._offset = 0
        self._position = 0

    def _part_header(self, disposition: str, content_type: str | None) -> bytes:
        lines = [f"--{self.boundary}", f"Content-Disposition: form-data; {disposition}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        # requests' super_len() subtracts tell() from len(); a raising tell() would make it
        # fall back to chunked encoding.
        return self._position

    def _read_bytes(self, chunk: bytes, size: int) -> bytes:
        piece = chunk[self._offset : self._offset + size]
        self._offset += len(piece)
        if self._offset >= len(chunk):
            self._stage += 1
            self._offset = 0
        return piece

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._length
        out = bytearray()
        while len(out) < size and self._stage < 3:
            want = size - len(out)
            if self._stage == 0:
                out += self._read_bytes(self._head, want)
            elif self._stage == 1:
                data = self._file.read(want)
                if data:
                    out += data
                else:
                    self._stage = 2
            else:
                out += self._read_bytes(self._tail, want)
        self._position += len(out)
        return bytes(out)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()

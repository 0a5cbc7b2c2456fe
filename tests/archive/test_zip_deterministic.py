from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from azkaban_seeder.archive.deterministic import DeterministicZip


class _Unseekable(io.RawIOBase):
    """A write-only sink without seek/tell, like a pipe or an HTTP body stream."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def _write(out: io.RawIOBase | io.BytesIO, entries: list[tuple[str, bytes]]) -> DeterministicZip:
    with DeterministicZip(out) as zf:  # type: ignore[arg-type]
        for name, data in entries:
            zf.add(name, data)
    return zf


ENTRIES = [("a.job", b"type=command\n"), ("b/c.flow", b"nodes: []\n" * 50), ("d.project", b"")]


def test_size_and_hash_describe_the_bytes_written() -> None:
    buffer = io.BytesIO()
    zf = _write(buffer, ENTRIES)
    assert zf.size == len(buffer.getvalue())
    assert zf.sha256 == hashlib.sha256(buffer.getvalue()).hexdigest()
    assert zf.entries == 3


def test_same_bytes_to_seekable_and_unseekable_targets() -> None:
    buffer, pipe = io.BytesIO(), _Unseekable()
    _write(buffer, ENTRIES)
    _write(pipe, ENTRIES)
    assert bytes(pipe.data) == buffer.getvalue()


def test_fixed_metadata_and_readable_content() -> None:
    buffer = io.BytesIO()
    _write(buffer, ENTRIES)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == [name for name, _ in ENTRIES]
        for info, (_, data) in zip(infos, ENTRIES, strict=True):
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert zf.read(info) == data


def test_entries_must_come_in_sorted_order() -> None:
    with pytest.raises(ValueError, match="out of order"):
        _write(io.BytesIO(), [("b", b""), ("a", b"")])
    with pytest.raises(ValueError, match="out of order"):
        _write(io.BytesIO(), [("a", b""), ("a", b"")])


def test_closing_the_zip_leaves_the_target_open() -> None:
    buffer = io.BytesIO()
    _write(buffer, ENTRIES)
    assert not buffer.closed

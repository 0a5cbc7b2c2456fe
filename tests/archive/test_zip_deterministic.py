from __future__ import annotations

import hashlib
import io
import random
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from azkaban_seeder.archive.deterministic import (
    COMPRESS_LEVEL,
    MAX_WINDOW_BITS,
    MIN_WINDOW_BITS,
    DeterministicZip,
    deflate,
    window_bits,
)


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


def test_more_than_65535_entries_use_the_zip64_end_records() -> None:
    entries = [
        (f"job_{n:06d}.job", f"type=command\ncommand=echo {n}\n".encode()) for n in range(70_000)
    ]
    buffer = io.BytesIO()
    zf = _write(buffer, entries)
    data = buffer.getvalue()
    assert zf.entries == 70_000
    assert b"PK\x06\x06" in data[-200:] and b"PK\x06\x07" in data[-200:]
    with zipfile.ZipFile(io.BytesIO(data)) as reader:
        names = reader.namelist()
        assert len(names) == 70_000 and names[-1] == "job_069999.job"
        assert reader.read("job_069999.job") == entries[-1][1]


def test_a_name_beyond_ascii_is_flagged_utf8() -> None:
    buffer = io.BytesIO()
    _write(buffer, [("flow_é.job", b"type=command\n")])
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as reader:
        (info,) = reader.infolist()
        assert info.filename == "flow_é.job" and info.flag_bits & 0x800


def test_no_data_descriptors_and_sizes_in_the_local_headers() -> None:
    buffer = io.BytesIO()
    _write(buffer, ENTRIES)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as reader:
        for info in reader.infolist():
            assert info.flag_bits & 0x08 == 0
            header = buffer.getvalue()[info.header_offset : info.header_offset + 30]
            crc, packed, size = struct.unpack("<III", header[14:26])
            assert (crc, packed, size) == (info.CRC, info.compress_size, info.file_size)


@pytest.mark.parametrize(
    "tool",
    [
        pytest.param(["unzip", "-tq"], id="unzip"),
        pytest.param(["jar", "xf"], id="java-jar"),
    ],
)
def test_other_unzip_implementations_read_it(tool: list[str], tmp_path: Path) -> None:
    """Azkaban unzips with Java; `jar xf` checks every entry's CRC on the way."""
    if shutil.which(tool[0]) is None:
        pytest.skip(f"{tool[0]} is not installed")
    path = tmp_path / "project.zip"
    many = [
        (f"dir/job_{n:05d}.job", f"type=command\ncommand=echo {n}\n".encode()) for n in range(300)
    ]
    with path.open("wb") as out:
        _write(out, sorted([*ENTRIES, *many]))  # type: ignore[arg-type]
    workdir = tmp_path / "out"
    workdir.mkdir()
    done = subprocess.run(
        [*tool, str(path)], cwd=workdir, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    if tool[0] == "jar":
        assert (workdir / "b/c.flow").read_bytes() == ENTRIES[1][1]
        assert (workdir / "dir/job_00299.job").read_bytes() == many[-1][1]


@pytest.mark.parametrize("size", [0, 1, 60, 250, 251, 500, 1000, 4000, 16_000, 40_000])
def test_a_window_sized_to_the_entry_still_reaches_its_first_byte(size: int) -> None:
    """`deflate` sizes deflate's window by the entry: the stream inflates to the entry, and a
    repeat of the entry's opening bytes at its very end is still found (too small a window
    would leave those bytes unmatched, a hundred literal bytes longer than zlib's default)."""
    rng = random.Random(size)
    opening = bytes(rng.randrange(256) for _ in range(min(size // 2, 100)))
    middle = b"type=command\n" * ((size - 2 * len(opening)) // 13 + 1)
    data = (opening + middle[: max(0, size - 2 * len(opening))] + opening)[:size]
    packed = deflate(data)
    assert zlib.decompress(packed, -15) == data
    assert len(packed) <= len(zlib.compress(data, COMPRESS_LEVEL, -15)) + 2
    assert MIN_WINDOW_BITS <= window_bits(size) <= MAX_WINDOW_BITS
    assert 2 ** window_bits(size) >= size or window_bits(size) == MAX_WINDOW_BITS

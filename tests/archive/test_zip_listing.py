"""`archive.listing`: the directory of a zip read back, as `zipfile` reads it, and every
damaged record named."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from azkaban_seeder.archive.deterministic import DeterministicZip
from azkaban_seeder.archive.listing import UnreadableArchive, list_entries

ENTRIES = [
    ("a.job", b"type=command\ncommand=echo a\n"),
    ("b/c.job", b"type=command\ncommand=echo c\ndependencies=a\n"),
    ("d\u00e9j\u00e0.job", b""),
    ("e.job", b"x" * 70_000),
]


def _zip(entries: list[tuple[str, bytes]] = ENTRIES) -> bytes:
    buffer = io.BytesIO()
    with DeterministicZip(buffer) as zf:
        for name, data in entries:
            zf.add(name, data)
    return buffer.getvalue()


def _with_zipfile(data: bytes) -> list[tuple[str, int, int]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(i.filename, i.CRC, i.file_size) for i in archive.infolist()]


def test_lists_what_zipfile_lists_for_our_writer() -> None:
    data = _zip()
    listed = list_entries(data)
    assert listed == _with_zipfile(data)
    assert [name for name, _crc, _size in listed] == [name for name, _ in ENTRIES]
    assert listed[3][2] == 70_000


def test_an_empty_archive_lists_nothing() -> None:
    assert list_entries(_zip([])) == []


def test_archives_outside_the_fast_path_are_read_by_zipfile() -> None:
    # A comment after the end record, and zipfile's own writer (data descriptors, no sorting).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("z.job", b"type=command\n")
        archive.writestr("a.job", b"type=noop\n")
        archive.comment = b"made elsewhere"
    data = buffer.getvalue()
    assert list_entries(data) == _with_zipfile(data)
    assert [name for name, _crc, _size in list_entries(data)] == ["z.job", "a.job"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d[:10], "too short"),
        (lambda d: d[:-30], "not a zip file"),  # the end record is gone: zipfile says so
        (lambda d: b"\0" * 7 + d, "does not end at the end record"),  # offsets shifted
    ],
)
def test_a_damaged_container_is_refused(damage, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnreadableArchive, match=message):
        list_entries(damage(_zip()))


def _central_at(data: bytes, number: int) -> int:
    start = struct.unpack_from("<I", data, len(data) - 6)[0]
    pos = start
    for _ in range(number):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
    return pos


def _patched(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def test_a_wrong_central_signature_is_named() -> None:
    data = _zip()
    broken = _patched(data, _central_at(data, 1), "<I", 0x12345678)
    with pytest.raises(UnreadableArchive, match="entry 1: no central directory header"):
        list_entries(broken)


def test_a_local_header_offset_that_points_elsewhere_is_named() -> None:
    data = _zip()
    # Entry 2's directory record points at entry 1's local header: zipfile's infolist would
    # not notice; the listing compares names.
    first_offset = struct.unpack_from("<I", data, _central_at(data, 1) + 42)[0]
    broken = _patched(data, _central_at(data, 2) + 42, "<I", first_offset)
    assert _with_zipfile(broken) == _with_zipfile(data)
    with pytest.raises(UnreadableArchive, match="entry 2: local header names another file"):
        list_entries(broken)
    # ... and into the middle of the data, where no local header starts.
    broken = _patched(data, _central_at(data, 2) + 42, "<I", first_offset + 3)
    with pytest.raises(UnreadableArchive, match="entry 2: no local header"):
        list_entries(broken)


def test_a_directory_with_fewer_or_more_entries_than_counted_is_refused() -> None:
    data = _zip()
    end = len(data) - 22
    for count, message in ((3, "holds 5.* bytes more than its 3 entries"), (5, "ends inside")):
        broken = _patched(_patched(data, end + 8, "<H", count), end + 10, "<H", count)
        with pytest.raises(UnreadableArchive, match=message):
            list_entries(broken)


def test_an_undecodable_name_is_refused() -> None:
    data = _zip([("\u00e9.job", b"x")])
    out = bytearray(data)
    out[_central_at(data, 0) + 46] = 0xFF  # the name's first byte: not UTF-8 (the flag says it is)
    out[30] = 0xFF  # ... in the local header too, which must carry the same name
    with pytest.raises(UnreadableArchive, match="entry 0: name is not valid UTF-8"):
        list_entries(bytes(out))


def test_another_writers_archive_lists_as_zipfile_reads_it() -> None:
    # zipfile's own writer, no comment: the struct path, with data descriptors, stored and
    # deflated entries, a non-ASCII name and names out of order.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("z.job", b"type=command\n", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("\u00fc/a.job", b"type=noop\n" * 50, compress_type=zipfile.ZIP_STORED)
        archive.writestr("a.job", b"")
    data = buffer.getvalue()
    assert data.endswith(b"\0\0")  # no comment
    assert list_entries(data) == _with_zipfile(data)
    assert [name for name, _crc, _size in list_entries(data)] == ["z.job", "\u00fc/a.job", "a.job"]

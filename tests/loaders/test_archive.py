"""Unzipping rules of the upload endpoint (spec sections 4.2 and 5.1)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from azkaban_seeder.loaders import InstallError, load_project_dir, load_project_zip

ZipMaker = Callable[[Mapping[str, str | bytes]], bytes]
CMD = "type=command\ncommand=echo\n"


@pytest.mark.parametrize("name", ["../evil.job", "a/../../evil.job", "a/b/../../../x/evil.job"])
def test_zip_slip_is_an_unzip_error(make_zip: ZipMaker, name: str) -> None:
    with pytest.raises(InstallError) as info:
        load_project_zip(make_zip({"ok.job": CMD, name: CMD}))
    assert info.value.message == "Error unzipping file."


def test_dot_dot_that_stays_inside_is_fine(make_zip: ZipMaker) -> None:
    result = load_project_zip(make_zip({"a/../b/j.job": CMD}))
    assert list(result.flows) == ["j"]


def test_absolute_entry_names_stay_under_the_target_dir(make_zip: ZipMaker, tmp_path: Path) -> None:
    # Java's new File(dest, "/x") is dest/x, so this is not an escape.
    result = load_project_zip(make_zip({"/abs/j.job": CMD}), workdir=tmp_path)
    assert list(result.flows) == ["j"]
    assert (tmp_path / "abs" / "j.job").read_text() == CMD


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_not_a_zip_is_an_unzip_error(data: bytes) -> None:
    with pytest.raises(InstallError, match=r"^Error unzipping file\.$"):
        load_project_zip(data)


def test_corrupt_entry_is_an_unzip_error(make_zip: ZipMaker) -> None:
    data = bytearray(make_zip({"j.job": CMD * 50}))
    # Flip a byte inside the compressed data of the only entry (after its 30-byte header).
    data[40] ^= 0xFF
    with pytest.raises(InstallError, match=r"^Error unzipping file\.$"):
        load_project_zip(bytes(data))


def test_file_where_a_directory_is_needed_is_an_unzip_error(make_zip: ZipMaker) -> None:
    with pytest.raises(InstallError):
        load_project_zip(make_zip({"a": "x", "a/j.job": CMD}))


def test_empty_zip_is_accepted_with_no_flows(make_zip: ZipMaker) -> None:
    result = load_project_zip(make_zip({}))
    assert result.flow_format == "1.0"
    assert result.flows == {}
    assert result.errors == []


def test_directory_entries_and_path_input(make_zip: ZipMaker, tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    path.write_bytes(make_zip({"proj/": b"", "proj/j.job": CMD}))
    assert list(load_project_zip(path).flows) == ["j"]
    assert list(load_project_zip(str(path)).flows) == ["j"]


def test_load_project_dir_matches_zip_loading(make_zip: ZipMaker, tmp_path: Path) -> None:
    files = {
        "p.project": "azkaban-flow-version: 2.0\n",
        "flows/a.flow": "nodes:\n  - {name: x, type: command}\n",
        "flows/b.flow": "nodes:\n  - {name: y, type: noop}\n",
    }
    from_zip = load_project_zip(make_zip(files), workdir=tmp_path / "unpacked")
    from_dir = load_project_dir(tmp_path / "unpacked")
    assert from_zip == from_dir
    assert sorted(from_dir.flows) == ["a", "b"]


def test_stored_and_deflated_entries(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(zipfile.ZipInfo("s.job"), CMD)
        zf.writestr("d.job", CMD, compress_type=zipfile.ZIP_DEFLATED)
    assert sorted(load_project_zip(buffer.getvalue()).flows) == ["d", "s"]


def _zip_with_raw_name(raw_name: bytes) -> bytes:
    """A stored zip with one entry whose name bytes are written without the UTF-8 flag."""
    buffer = io.BytesIO()
    placeholder = "n" * len(raw_name)
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(placeholder, CMD)
    return buffer.getvalue().replace(placeholder.encode(), raw_name)


def test_entry_names_are_utf8_even_without_the_flag() -> None:
    result = load_project_zip(_zip_with_raw_name("café.job".encode()))
    assert list(result.flows) == ["café"]


def test_entry_name_that_is_not_utf8_is_an_unzip_error() -> None:
    with pytest.raises(InstallError, match=r"^Error unzipping file\.$"):
        load_project_zip(_zip_with_raw_name(b"caf\xe9.job"))

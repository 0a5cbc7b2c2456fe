"""Builds project zips in memory for the loader tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping

import pytest

ZipMaker = Callable[[Mapping[str, str | bytes]], bytes]


def build_zip(files: Mapping[str, str | bytes]) -> bytes:
    """A zip holding `files` (path -> text or bytes); a path ending in '/' is a directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


@pytest.fixture
def make_zip() -> ZipMaker:
    return build_zip

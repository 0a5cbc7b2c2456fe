"""Safe reading of a project zip into an in-memory directory tree.

Mirrors the unzip step of `POST /manager` (ajax=upload; Azkaban `Utils.unzip`): every entry is
read (a corrupt entry fails the whole upload) and an entry whose path would leave the target
directory aborts with "Error unzipping file.". The loaders then walk the tree exactly as the
server walks its temp directory, without touching the disk.
"""

from __future__ import annotations

import io
import logging
import os
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from azkaban_seeder.loaders.model import InstallError

logger = logging.getLogger(__name__)

UNZIP_ERROR = "Error unzipping file."


@dataclass
class ProjectDir:
    """One directory of an unpacked project: file contents and sub-directories by name."""

    files: dict[str, bytes] = field(default_factory=dict)
    dirs: dict[str, ProjectDir] = field(default_factory=dict)

    def matching_files(self, suffix: str) -> list[tuple[str, bytes]]:
        """Files as Azkaban's `SuffixFilter` keeps them, sorted by name.

        Hidden files (Unix: a leading '.') are skipped and the name must be longer than the
        suffix; the suffix match is case-sensitive.
        """
        return [
            (name, data)
            for name, data in sorted(self.files.items())
            if not name.startswith(".") and len(name) > len(suffix) and name.endswith(suffix)
        ]

    def sorted_dirs(self) -> list[ProjectDir]:
        """Sub-directories sorted by name (hidden ones included, like Azkaban's `DirFilter`)."""
        return [self.dirs[name] for name in sorted(self.dirs)]


def _entry_parts(name: str) -> list[str]:
    """Normalised path segments of a zip entry; raises if the entry escapes the target dir.

    Java resolves `new File(dest, name)` to its canonical path: a leading '/' is just a
    separator, '.' and empty segments vanish and '..' climbs.
    """
    parts: list[str] = []
    for segment in name.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                raise InstallError(UNZIP_ERROR)
            parts.pop()
        else:
            parts.append(segment)
    return parts


def _ensure_dir(root: ProjectDir, parts: list[str]) -> ProjectDir:
    node = root
    for segment in parts:
        if segment in node.files:
            # A file already sits where a directory is needed: mkdirs fails, then the write.
            raise InstallError(UNZIP_ERROR)
        node = node.dirs.setdefault(segment, ProjectDir())
    return node


def _place(root: ProjectDir, name: str) -> tuple[ProjectDir, str] | None:
    """Where entry ``name`` goes: (its directory, its file name), or None for a directory
    entry (created here); raises for an entry that cannot be written."""
    parts = _entry_parts(name)
    if name.endswith("/"):
        _ensure_dir(root, parts)
        return None
    if not parts:
        raise InstallError(UNZIP_ERROR)
    parent = _ensure_dir(root, parts[:-1])
    if parts[-1] in parent.dirs:
        raise InstallError(UNZIP_ERROR)
    return parent, parts[-1]


def tree_from_entries(entries: Iterable[tuple[str, bytes]]) -> ProjectDir:
    """The tree a zip of these ``(name, bytes)`` entries unpacks to, by the same path rules
    as `read_zip_tree` (the runner's pre-upload check loads the entries it just zipped)."""
    root = ProjectDir()
    for name, data in entries:
        place = _place(root, name)
        if place is not None:
            place[0].files[place[1]] = data
    return root


def read_zip_tree(data: bytes | os.PathLike[str] | str) -> ProjectDir:
    """Read and validate a whole project zip; raise `InstallError("Error unzipping file.")`.

    Implements the unzip step of the upload endpoint (`POST /manager`, ajax=upload).
    """
    source: io.BytesIO | str | os.PathLike[str] = (
        io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    )
    root = ProjectDir()
    try:
        # Java's ZipFile decodes every entry name as UTF-8, flagged or not.
        with zipfile.ZipFile(source, metadata_encoding="utf-8") as zf:
            for info in zf.infolist():
                place = _place(root, info.filename)
                if place is not None:
                    place[0].files[place[1]] = zf.read(info)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        UnicodeDecodeError,
    ) as exc:
        logger.info("zip rejected: %s", exc)
        raise InstallError(UNZIP_ERROR) from exc
    return root


def read_dir_tree(path: Path) -> ProjectDir:
    """Read an already unpacked project directory (symlinks followed like Java's File API)."""
    root = ProjectDir()
    for entry in sorted(path.iterdir()):
        if entry.is_dir():
            root.dirs[entry.name] = read_dir_tree(entry)
        elif entry.is_file():
            root.files[entry.name] = entry.read_bytes()
    return root


def write_tree(tree: ProjectDir, dest: Path) -> None:
    """Write an unpacked tree below `dest` (the server's temp dir copy of the upload)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in tree.files.items():
        (dest / name).write_bytes(data)
    for name, sub in tree.dirs.items():
        write_tree(sub, dest / name)

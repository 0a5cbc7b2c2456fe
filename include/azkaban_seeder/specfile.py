"""Spec files: a YAML (or JSON) mapping of spec and run fields, checked against the field table.

A file may set any field of `ENV_FIELDS` or `RUN_FIELDS` (flags given on the command line
override it). Refused, naming the file, the key and the fix, before anything is built:
unreadable or malformed files, anything but a mapping, unknown keys, keys given twice (YAML
would silently keep the last) and keys without a value (YAML reads ``prefix:`` as null, which
would silently mean "the default").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from azkaban_seeder.spec import ENV_FIELDS, RUN_FIELDS


class SpecFileError(ValueError):
    """A spec file that cannot be used: ``path``, what is wrong and how to fix it."""

    def __init__(self, path: Path, problem: str, fix: str) -> None:
        self.path = path
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem}; fix: {fix}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping key given twice."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_unique_mapping,
)


def read_spec_file(path: Path) -> dict[str, Any]:
    """The file's field values (not yet validated per field: `EnvSpec.from_mapping` does)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SpecFileError(path, f"cannot read ({reason})", "pass a readable UTF-8 file") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise SpecFileError(
            path, f"not valid YAML/JSON ({problem})", "write one 'field: value' per line"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpecFileError(
            path, "must hold a mapping of field: value", "write one 'field: value' per line"
        )
    _check_keys(path, data)
    return data


def _check_keys(path: Path, data: dict[Any, Any]) -> None:
    known = [*ENV_FIELDS, *RUN_FIELDS]
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise SpecFileError(
            path,
            f"unknown key {unknown[0]!r}",
            f"use spec fields ({', '.join(ENV_FIELDS)}) or run fields ({', '.join(RUN_FIELDS)})",
        )
    blank = [k for k, v in data.items() if v is None or (isinstance(v, str) and not v.strip())]
    if blank:
        name = blank[0]
        field = ENV_FIELDS.get(name) or RUN_FIELDS[name]
        raise SpecFileError(
            path,
            f"key {name!r} has no value",
            f"give a value ({field.help}; default {field.default}) or delete the line",
        )

"""The sandbox settings: one table of truth for every `SandboxConfig` field.

Each field is declared once: the annotation is its type, `default` its default and
`metadata=about(help, minimum=, maximum=, choices=)` its help text and bounds (`choices`: the
names a tuple field may combine, or the values a str field picks one of). `SETTINGS`
(name -> `Setting`, built from the dataclass fields) is what everything else reads, at call
time: `SandboxConfig` validates itself against it, `cli.py` builds one flag per setting from it
(help, default, bounds in the help line) and the test-control API checks fault and cost updates
with it. So the three agree by construction.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from azkaban_sandbox.faults import FAULT_KINDS
from azkaban_sandbox.users import PERMISSION_TYPES

# What holds one of the `max_threads` request threads (docs/sandbox.md, "Request threads").
THREAD_HOLDERS = ("request", "connection")


@dataclass(frozen=True)
class Setting:
    """One row of the table. `name`, `kind` and `default` are filled in from the field."""

    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    name: str = ""
    kind: str = ""
    default: Any = None

    @property
    def flag(self) -> str:
        """The CLI flag (`users` and `user_roles` share `--user NAME:PASSWORD[:TYPE,...]`)."""
        if self.kind in ("users", "roles"):
            return "--user"
        return "--" + self.name.replace("_", "-")

    def bounds(self) -> str:
        """The accepted values in words, e.g. "an integer from 0 to 65535"."""
        noun = {"int": "an integer", "float": "a number", "path": "a directory"}.get(
            self.kind, "a non-empty string"
        )
        if self.choices and self.kind == "str":
            return "one of " + ", ".join(self.choices)
        if self.choices:
            return "a comma-separated subset of " + ",".join(self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{noun} from {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"{noun} >= {self.minimum:g}"
        return noun

    def problem(self, value: Any) -> str | None:
        """Why `value` is not acceptable (with the fix), or None when it is."""
        return _CHECKS[self.kind](self, value)

    def out_of_range(self, value: float) -> str | None:
        """The out-of-range problem (with the fix), or None within minimum..maximum."""
        low_ok = self.minimum is None or value >= self.minimum
        high_ok = self.maximum is None or value <= self.maximum
        return None if low_ok and high_ok else f"out of range; use {self.bounds()}"


def _number(integer: bool) -> Callable[[Setting, Any], str | None]:
    types = (int,) if integer else (int, float)

    def check(setting: Setting, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, types):
            return f"not {setting.bounds()}"
        return setting.out_of_range(value)

    return check


def _text(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return f"not {setting.bounds()}"
    if setting.choices and value not in setting.choices:
        return f"unknown; use {setting.bounds()}"
    return None


def _path(setting: Setting, value: Any) -> str | None:
    return None if value is None or isinstance(value, str | Path) else f"not {setting.bounds()}"


def _names(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, tuple | list) or not all(isinstance(v, str) for v in value):
        return f"not a list of names; use {setting.bounds()}"
    unknown = sorted(set(value) - set(setting.choices))
    return f"unknown {unknown}; use {setting.bounds()}" if unknown else None


def _users(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, Mapping) or not value:
        return "needs at least one user; use NAME:PASSWORD"
    if not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()):
        return "every user needs a name and a password; use NAME:PASSWORD"
    return None


def _roles(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must map user names to permission types; use NAME:PASSWORD:TYPE,..."
    for user, types in value.items():
        problem = _names(setting, types)
        if problem is not None:
            return f"user {user}: permission types {problem}"
    return None


_CHECKS: dict[str, Callable[[Setting, Any], str | None]] = {
    "int": _number(integer=True),
    "float": _number(integer=False),
    "str": _text,
    "path": _path,
    "names": _names,
    "users": _users,
    "roles": _roles,
}


def about(help: str, **bounds: Any) -> dict[str, Setting]:
    """A field's table row (its `metadata`): help and bounds (minimum, maximum, choices)."""
    return {"setting": Setting(help, **bounds)}


class ConfigError(ValueError):
    """A setting outside the table's bounds; names the setting, its flag and the fix."""

    def __init__(self, entry: Setting, value: Any, problem: str) -> None:
        super().__init__(f"{entry.name}={value!r}: {problem} ({entry.flag})")
        self.setting = entry
        self.value = value
        self.problem = problem


@dataclass
class SandboxConfig:
    """Sandbox settings, validated on creation. `port=0` picks a free port; `data_dir=None`
    uses a temp dir; users listed in `user_roles` get only those permission types."""

    host: str = field(default="127.0.0.1", metadata=about("bind address"))
    port: int = field(
        default=8081, metadata=about("port; 0 picks a free one", minimum=0, maximum=65535)
    )
    data_dir: Path | str | None = field(
        default=None, metadata=about("where SQLite and the zips live; None: a temp dir")
    )
    users: dict[str, str] = field(
        default_factory=lambda: {"azkaban": "azkaban"},
        metadata=about("extra user (azkaban/azkaban always exists)"),
    )
    user_roles: dict[str, tuple[str, ...]] = field(
        default_factory=dict,
        metadata=about("with TYPEs the user gets only those", choices=PERMISSION_TYPES),
    )
    session_ttl: float = field(
        default=36_000.0, metadata=about("idle session TTL in seconds", minimum=0)
    )
    max_sessions: int = field(default=10_000, metadata=about("session cache size", minimum=1))
    execution_step_seconds: float = field(
        default=2.0, metadata=about("seconds an execution stays READY, then RUNNING", minimum=0)
    )
    fault_rate: float = field(
        default=0.0, metadata=about("fraction of requests that fail", minimum=0, maximum=1)
    )
    fault_seed: int = field(default=0, metadata=about("seed of the fault RNG"))
    fault_kinds: tuple[str, ...] = field(
        default=FAULT_KINDS, metadata=about("fault kinds to draw from", choices=FAULT_KINDS)
    )
    slow_seconds: float = field(
        default=2.0, metadata=about("delay of slow faults, seconds", minimum=0)
    )
    cost_base_ms: float = field(default=0.0, metadata=about("emulated ms per upload", minimum=0))
    cost_per_flow_ms: float = field(
        default=0.0, metadata=about("emulated ms per uploaded flow", minimum=0)
    )
    cost_per_mib_ms: float = field(
        default=0.0, metadata=about("emulated ms per uploaded MiB", minimum=0)
    )
    request_queue_size: int = field(
        default=256, metadata=about("TCP accept queue", minimum=1, maximum=65535)
    )
    max_threads: int = field(
        default=20,
        metadata=about(
            "request threads, like Azkaban's jetty.maxThreads: requests beyond wait in a "
            "queue; 0: unlimited",
            minimum=0,
            maximum=10_000,
        ),
    )
    thread_per: str = field(
        default="request",
        metadata=about(
            "what holds a request thread: a request while it is handled, or a connection "
            "until it closes (Jetty 6's blocking connector, idle keep-alive included)",
            choices=THREAD_HOLDERS,
        ),
    )
    max_idle_seconds: float = field(
        default=200.0,
        metadata=about(
            "an idle keep-alive connection is closed after this (Jetty maxIdleTime); 0: never",
            minimum=0,
        ),
    )

    def __post_init__(self) -> None:
        self.fault_kinds = tuple(self.fault_kinds)
        self.user_roles = {user: tuple(types) for user, types in self.user_roles.items()}
        for entry in SETTINGS.values():
            check(entry.name, getattr(self, entry.name))


def check(name: str, value: Any) -> Any:
    """Raise ConfigError unless `value` is within the bounds of setting `name`; returns it."""
    entry = SETTINGS[name]
    problem = entry.problem(value)
    if problem is not None:
        raise ConfigError(entry, value, problem)
    return value


def _kind(annotation: Any) -> str:
    if annotation in (int, float, str):
        return str(annotation.__name__)
    if typing.get_origin(annotation) is tuple:
        return "names"
    if typing.get_origin(annotation) is dict:
        return "users" if typing.get_args(annotation)[1] is str else "roles"
    return "path"


def _table() -> dict[str, Setting]:
    hints = typing.get_type_hints(SandboxConfig)
    table = {}
    for f in fields(SandboxConfig):
        factory: Any = f.default_factory
        default = factory() if f.default is MISSING else f.default
        entry = replace(f.metadata["setting"], name=f.name, kind=_kind(hints[f.name]))
        table[f.name] = replace(entry, default=default)
    return table


SETTINGS: dict[str, Setting] = _table()

"""What environment to build (`EnvSpec`) and how to run the build (`RunOptions`).

Both are frozen, validated dataclasses. Every rule is checked in ``__post_init__``, so an
invalid spec cannot exist; a violation raises `SpecError`, which names the field, the problem
and the fix. ``from_mapping`` accepts the loose values a CLI, a JSON file or Airflow params
produce (ints as strings, ``None`` meaning "use the default").

The limits come from Azkaban and Airflow:

- project names ``{prefix}_{i:05d}`` must fully match Azkaban's ``[a-zA-Z][a-zA-Z_0-9|-]*``
  (``POST /manager?action=create``) and fit its ``projects.name VARCHAR(64)``; we exclude ``|``
  on purpose (it is legal but unusual and breaks shell-quoted names);
- the number of shards must fit Airflow's ``[core] max_map_length``, because the DAG maps one
  task instance per shard.

Shapes (the job graph of each flow):

``single``       one job
``chain:N``      N jobs in a line, 1 <= N <= 100
``fanout:W``     start -> W parallel jobs -> end, 1 <= W <= 100
``random``       a random DAG, at most 6 levels of at most 6 jobs, exactly one sink
``mix``          per flow, drawn with the weights in `DEFAULT_MIX`
``mix:a=w,...``  per flow, drawn with explicit integer weights, e.g. ``mix:single=5,chain:3=2``
"""

from __future__ import annotations

import math
import os
import re
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import Any

MAX_FLOW_COUNT = 1_000_000
MAX_FLOWS_PER_PROJECT = 5_000
MAX_PROJECTS_PER_SHARD = 1_000
MAX_MAP_LENGTH = 1_000_000
MAX_PREFIX_LENGTH = 57  # prefix + "_" + up to 6 digits <= 64 (Azkaban projects.name VARCHAR(64))
MAX_PROJECT_NAME_LENGTH = 64
MAX_COMMAND_LENGTH = 4_096
MAX_SHAPE_PARAM = 100
MAX_MIX_WEIGHT = 1_000
MAX_SEED = 2**64 - 1

FLOW_FORMATS = ("1.0", "2.0")
COMMAND_PLACEHOLDERS = ("project", "flow", "job", "index")
SHAPE_KINDS = ("single", "chain", "fanout", "random")
DEFAULT_MIX = "mix:single=50,chain:3=20,fanout:4=20,random=10"

# Azkaban's own rule is [a-zA-Z][a-zA-Z_0-9|-]*; "|" is left out deliberately (see module doc).
# Public: the DAG Params use the same pattern.
PREFIX_PATTERN = "[A-Za-z][A-Za-z0-9_-]*"
_PREFIX_RE = re.compile(PREFIX_PATTERN)
_WINDOW_RE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_MINUTES_PER_DAY = 24 * 60


_ENV_INT_BOUNDS = {
    "flow_count": (1, MAX_FLOW_COUNT),
    "flows_per_project": (1, MAX_FLOWS_PER_PROJECT),
    "projects_per_shard": (1, MAX_PROJECTS_PER_SHARD),
    "max_map_length": (1, MAX_MAP_LENGTH),
    "seed": (0, MAX_SEED),
}


class SpecError(ValueError):
    """An invalid `EnvSpec` or `RunOptions` value: which field, what is wrong, how to fix it."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{field}: {problem}; fix: {fix}")


@dataclass(frozen=True)
class ShapeChoice:
    """One entry of a parsed shape: ``kind`` with its ``param`` (N or W, else 0) and weight."""

    kind: str
    param: int
    weight: int

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.param}" if self.kind in ("chain", "fanout") else self.kind


@dataclass(frozen=True)
class ScheduleWindow:
    """A daily window ``HH:MM-HH:MM`` (end exclusive; may wrap past midnight)."""

    start_minute: int
    length_minutes: int


# --------------------------------------------------------------------------- value coercion


def _as_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise SpecError(
            name, f"must be an integer (got {value!r})", f"pass a whole number {low}..{high}"
        )
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise SpecError(
                name, f"must be an integer (got {value!r})", f"pass a whole number {low}..{high}"
            ) from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise SpecError(
            name, f"must be an integer (got {value!r})", f"pass a whole number {low}..{high}"
        )
    if not low <= value <= high:
        raise SpecError(
            name, f"must be between {low} and {high} (got {value})", f"pass a value {low}..{high}"
        )
    return value


def _require_int(name: str, value: Any, low: int, high: int) -> None:
    # Direct construction must not smuggle in strings: only from_mapping coerces.
    if type(value) is not int:
        raise SpecError(
            name, f"must be an int (got {value!r})", f"pass a whole number {low}..{high}"
        )
    _as_int(name, value, low, high)


def _as_seconds(name: str, value: Any, high: float) -> float:
    fix = f"pass a number of seconds greater than 0 and at most {high:g}"
    if isinstance(value, bool):
        raise SpecError(name, f"must be a number (got {value!r})", fix)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(name, f"must be a number (got {value!r})", fix) from None
    if not (math.isfinite(number) and 0 < number <= high):
        raise SpecError(name, f"must be > 0 and <= {high:g} (got {value!r})", fix)
    return number


# --------------------------------------------------------------------------- shapes


def _parse_simple_shape(text: str, weight: int) -> ShapeChoice:
    kind, sep, param_text = text.partition(":")
    fix = "use single, chain:N, fanout:W (N, W in 1..100), random or mix"
    if kind in ("single", "random") and not sep:
        return ShapeChoice(kind, 0, weight)
    if kind in ("chain", "fanout") and sep:
        if not param_text.isdigit():
            raise SpecError("shape", f"{kind} needs a number, e.g. {kind}:3 (got {text!r})", fix)
        param = int(param_text)
        if not 1 <= param <= MAX_SHAPE_PARAM:
            raise SpecError(
                "shape", f"{kind}:N needs N between 1 and {MAX_SHAPE_PARAM} (got {param})", fix
            )
        return ShapeChoice(kind, param, weight)
    raise SpecError("shape", f"unknown shape {text!r}", fix)


def _parse_mix(body: str) -> tuple[ShapeChoice, ...]:
    fix = "write mix:SHAPE=WEIGHT,... e.g. mix:single=5,chain:3=2,random=1 (weights 1..1000)"
    choices: list[ShapeChoice] = []
    for part in body.split(","):
        shape_text, sep, weight_text = part.strip().rpartition("=")
        if not sep or not weight_text.strip().isdigit():
            raise SpecError("shape", f"mix entry {part.strip()!r} has no integer weight", fix)
        weight = int(weight_text)
        if not 1 <= weight <= MAX_MIX_WEIGHT:
            raise SpecError("shape", f"mix weight must be 1..{MAX_MIX_WEIGHT} (got {weight})", fix)
        choice = _parse_simple_shape(shape_text.strip(), weight)
        if any(c.label == choice.label for c in choices):
            raise SpecError("shape", f"mix names {choice.label} twice", fix)
        choices.append(choice)
    return tuple(choices)


@lru_cache(maxsize=64)
def parse_shape(text: str) -> tuple[ShapeChoice, ...]:
    """Parse a shape string into weighted choices (one choice, weight 1, unless a mix)."""
    text = text.strip()
    if text == "mix":
        text = DEFAULT_MIX
    if text.startswith("mix:"):
        return _parse_mix(text[len("mix:") :])
    return (_parse_simple_shape(text, 1),)


# --------------------------------------------------------------------------- schedule


@lru_cache(maxsize=64)
def parse_schedule_window(text: str) -> ScheduleWindow | None:
    """Parse ``"off"`` (-> None) or ``"HH:MM-HH:MM"``; raises `SpecError` naming the format."""
    text = text.strip()
    if text == "off":
        return None
    fix = 'use "off" or a daily window "HH:MM-HH:MM" (24-hour clock, e.g. "00:00-06:00")'
    match = _WINDOW_RE.fullmatch(text)
    if match is None:
        raise SpecError("schedule", f"not a window (got {text!r})", fix)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise SpecError("schedule", f"not a valid time of day in {text!r}", fix)
    start = h1 * 60 + m1
    end = h2 * 60 + m2
    # An end at or before the start wraps past midnight ("22:00-02:00"); "24:00" ends the day.
    length = end - start if end >= start else end + _MINUTES_PER_DAY - start
    if length == 0:
        raise SpecError("schedule", f"window {text!r} is empty (start equals end)", fix)
    return ScheduleWindow(start, length)


# --------------------------------------------------------------------------- command


def _validate_command(command: str) -> None:
    allowed = ", ".join("{" + p + "}" for p in COMMAND_PLACEHOLDERS)
    fix = f"use only the placeholders {allowed}; write literal braces as {{{{ and }}}}"
    if not command.strip():
        raise SpecError("command", "must not be empty", 'pass a command, e.g. "echo {job}"')
    if len(command) > MAX_COMMAND_LENGTH:
        raise SpecError(
            "command", f"longer than {MAX_COMMAND_LENGTH} characters", "shorten the command"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in command):
        raise SpecError(
            "command", "contains a control character (newline, tab, ...)", "use a one-line command"
        )
    try:
        command.encode("utf-8")
    except UnicodeEncodeError:
        raise SpecError(
            "command", "contains a lone surrogate (undecodable input)", "pass valid UTF-8 text"
        ) from None
    try:
        fields_ = [
            (f, conv) for _, f, _, conv in string.Formatter().parse(command) if f is not None
        ]
    except ValueError as exc:
        raise SpecError("command", f"bad template ({exc})", fix) from None
    for name, conversion in fields_:
        if name not in COMMAND_PLACEHOLDERS:
            raise SpecError("command", f"unknown placeholder {{{name}}}", fix)
        if conversion is not None:
            raise SpecError("command", f"conversion !{conversion} in {{{name}}}", fix)
    try:
        command.format(project="p", flow="f", job="j", index=0)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise SpecError("command", f"bad template ({exc})", fix) from None


# --------------------------------------------------------------------------- mappings


def _check_keys(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    valid = [f.name for f in fields(cls)]
    unknown = sorted(set(data) - set(valid))
    if unknown:
        raise SpecError(
            unknown[0], f"unknown key for {cls.__name__}", f"use one of: {', '.join(valid)}"
        )
    # None means "not given" so Airflow params / CLI defaults can pass every key.
    return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class EnvSpec:
    """The Azkaban environment to build; see the module docstring for shapes and limits."""

    flow_count: int = 10_000
    flows_per_project: int = 100
    projects_per_shard: int = 10
    prefix: str = "stress"
    flow_format: str = "1.0"
    shape: str = "single"
    seed: int = 0
    command: str = "echo {project} {flow} {job}"
    schedule: str = "off"
    max_map_length: int = 1024

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EnvSpec:
        """Build from loose values (CLI, JSON, Airflow params); raises `SpecError`."""
        values = _check_keys(cls, data)
        for name, (low, high) in _ENV_INT_BOUNDS.items():
            if name in values:
                values[name] = _as_int(name, values[name], low, high)
        for name in ("prefix", "flow_format", "shape", "command", "schedule"):
            if name in values and isinstance(values[name], (int, float)):
                values[name] = str(values[name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; ``EnvSpec.from_mapping(spec.to_dict()) == spec``."""
        return asdict(self)

    @property
    def project_count(self) -> int:
        return math.ceil(self.flow_count / self.flows_per_project)

    @property
    def shard_count(self) -> int:
        return math.ceil(self.project_count / self.projects_per_shard)

    @property
    def shape_choices(self) -> tuple[ShapeChoice, ...]:
        return parse_shape(self.shape)

    @property
    def schedule_window(self) -> ScheduleWindow | None:
        return parse_schedule_window(self.schedule)

    def validate(self) -> None:
        """Check every rule; raises `SpecError` for the first violation."""
        self._validate_counts()
        self._validate_prefix()
        if not isinstance(self.flow_format, str) or self.flow_format not in FLOW_FORMATS:
            raise SpecError(
                "flow_format",
                f"must be 1.0 or 2.0 (got {self.flow_format!r})",
                'pass "1.0" or "2.0"',
            )
        for name in ("shape", "command", "schedule"):
            if not isinstance(getattr(self, name), str):
                raise SpecError(name, "must be a string", "pass text")
        parse_shape(self.shape)
        _validate_command(self.command)
        parse_schedule_window(self.schedule)
        self._validate_shards()

    def _validate_counts(self) -> None:
        for name, (low, high) in _ENV_INT_BOUNDS.items():
            _require_int(name, getattr(self, name), low, high)

    def _validate_prefix(self) -> None:
        if not isinstance(self.prefix, str) or not _PREFIX_RE.fullmatch(self.prefix):
            raise SpecError(
                "prefix",
                f"must start with a letter and hold only letters, digits, '-' or '_' "
                f"(got {self.prefix!r})",
                'use a name such as "stress" (Azkaban project names: [a-zA-Z][a-zA-Z_0-9-]*)',
            )
        if len(self.prefix) > MAX_PREFIX_LENGTH:
            raise SpecError(
                "prefix",
                f"is {len(self.prefix)} characters; project names would exceed "
                f"{MAX_PROJECT_NAME_LENGTH}",
                f"use at most {MAX_PREFIX_LENGTH} characters",
            )

    def _validate_shards(self) -> None:
        if self.shard_count > self.max_map_length:
            needed = math.ceil(self.project_count / self.max_map_length)
            raise SpecError(
                "projects_per_shard",
                f"{self.project_count} projects make {self.shard_count} shards, more than "
                f"max_map_length {self.max_map_length}",
                f"raise projects_per_shard to at least {needed} "
                f"(or raise flows_per_project or Airflow's [core] max_map_length)",
            )


def _default_processes() -> int:
    # Two to four workers saturate one Azkaban web server; more only add lock contention.
    return max(1, min(4, os.cpu_count() or 1))


MAX_PROCESSES = 64
MAX_UPLOAD_TIMEOUT = 3_600.0
MAX_RETRY_ATTEMPTS = 50
MAX_RETRY_SECONDS = 86_400.0


@dataclass(frozen=True)
class RunOptions:
    """How to run a build: worker processes per shard, upload timeout and retry bounds."""

    processes: int = field(default_factory=_default_processes)
    upload_timeout: float = 120.0
    retry_attempts: int = 6
    retry_max_seconds: float = 300.0

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RunOptions:
        """Build from loose values (CLI, JSON, Airflow params); raises `SpecError`."""
        values = _check_keys(cls, data)
        if "processes" in values:
            values["processes"] = _as_int("processes", values["processes"], 1, MAX_PROCESSES)
        if "retry_attempts" in values:
            values["retry_attempts"] = _as_int(
                "retry_attempts", values["retry_attempts"], 1, MAX_RETRY_ATTEMPTS
            )
        if "upload_timeout" in values:
            values["upload_timeout"] = _as_seconds(
                "upload_timeout", values["upload_timeout"], MAX_UPLOAD_TIMEOUT
            )
        if "retry_max_seconds" in values:
            values["retry_max_seconds"] = _as_seconds(
                "retry_max_seconds", values["retry_max_seconds"], MAX_RETRY_SECONDS
            )
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> None:
        _require_int("processes", self.processes, 1, MAX_PROCESSES)
        _require_int("retry_attempts", self.retry_attempts, 1, MAX_RETRY_ATTEMPTS)
        _as_seconds("upload_timeout", self.upload_timeout, MAX_UPLOAD_TIMEOUT)
        _as_seconds("retry_max_seconds", self.retry_max_seconds, MAX_RETRY_SECONDS)


#: One line per field for user-facing help (CLI flags); the defaults come from the dataclasses.
FIELD_HELP: dict[str, str] = {
    "flow_count": "total number of flows to build",
    "flows_per_project": "flows in each Azkaban project (the last one may hold fewer)",
    "projects_per_shard": "projects per shard (one Airflow mapped task each)",
    "prefix": "project name prefix: projects are <prefix>_00000, <prefix>_00001, ...",
    "flow_format": "1.0 (.job files) or 2.0 (.project + .flow YAML)",
    "shape": "single | chain:N | fanout:W | random | mix | mix:single=5,chain:3=2,...",
    "seed": "seed for random shapes and mixes (same seed, same flows)",
    "command": "job command; placeholders {project} {flow} {job} {index}",
    "schedule": "off, or a daily window HH:MM-HH:MM to spread cron schedules over",
    "max_map_length": "Airflow's [core] max_map_length: the most shards a plan may have",
    "processes": "worker processes building and uploading in parallel",
    "upload_timeout": "read timeout of one upload (s)",
    "retry_attempts": "attempts per request before giving up (transient faults only)",
    "retry_max_seconds": "time budget for the retries of one request (s)",
}

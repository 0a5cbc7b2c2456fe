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
  task instance per shard. By default (``projects_per_shard`` 0) the plan sizes shards itself:
  one shard per parallel slot (``parallel_shards``), so every shard task starts once and all
  run at the same time (see `EnvSpec.shard_size`).

Shapes (the job graph of each flow):

``single``       one job
``chain:N``      N jobs in a line, 1 <= N <= 100
``fanout:W``     start -> W parallel jobs -> end, 1 <= W <= 100
``random``       a random DAG, at most 6 levels of at most 6 jobs, exactly one sink
``mix``          per flow, drawn with the weights in `DEFAULT_MIX`
``mix:a=w,...``  per flow, drawn with explicit integer weights, e.g. ``mix:single=5,chain:3=2``
``profile``      graphs, schedules and commands drawn from the profile file in ``profile``
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

from azkaban_seeder.fields import Field, SpecError

__all__ = [
    "ENV_FIELDS",
    "MODE_FIELD",
    "RUN_FIELDS",
    "EnvSpec",
    "Field",
    "RunOptions",
    "ShapeChoice",
    "SpecError",
    "parse_schedule_window",
    "parse_shape",
]

MAX_SHAPE_PARAM = 100
MAX_MIX_WEIGHT = 1_000

COMMAND_PLACEHOLDERS = ("project", "flow", "job", "index")
SHAPE_KINDS = ("single", "chain", "fanout", "random")
DEFAULT_MIX = "mix:single=50,chain:3=20,fanout:4=20,random=10"
PROFILE_SHAPE = "profile"
_MINUTES_PER_DAY = 24 * 60

SIZE, CONTENT, RUN = "Size and sharding", "Flow content", "Run"

# --------------------------------------------------------------------------- the field table
# Every user-facing setting, declared once. EnvSpec / RunOptions take their defaults and
# rules from here; the CLI flags, the spec-file loader and the Airflow Params are built from it.

_ENV_FIELD_LIST = (
    Field(
        "flow_count",
        "integer",
        10_000,
        "Flows",
        "total number of flows to build",
        SIZE,
        minimum=1,
        maximum=1_000_000,
    ),
    Field(
        "flows_per_project",
        "integer",
        100,
        "Flows per project",
        "flows in each Azkaban project (the last one may hold fewer)",
        SIZE,
        minimum=1,
        maximum=5_000,
    ),
    Field(
        "projects_per_shard",
        "integer",
        0,
        "Projects per shard",
        "projects per shard (one Airflow mapped task each); 0 = auto: one shard per "
        "parallel shard slot; the shard count must fit Airflow's [core] max_map_length",
        SIZE,
        minimum=0,
        maximum=100_000,
    ),
    # Azkaban's own rule is [a-zA-Z][a-zA-Z_0-9|-]*; "|" is left out on purpose (legal, but it
    # breaks shell-quoted names). prefix + "_" + up to 6 digits must fit projects.name
    # VARCHAR(64), hence 57.
    Field(
        "prefix",
        "string",
        "stress",
        "Project prefix",
        "project name prefix: projects are <prefix>_00000, <prefix>_00001, ...",
        SIZE,
        pattern="[A-Za-z][A-Za-z0-9_-]*",
        min_length=1,
        max_length=57,
        pattern_problem="must start with a letter and hold only letters, digits, '-' or '_'",
        fix='use a name such as "stress" (letters, digits, "-" and "_", at most 57 '
        "characters, starting with a letter)",
    ),
    Field(
        "flow_format",
        "string",
        "1.0",
        "Flow format",
        "1.0 (.job files) or 2.0 (.project + .flow YAML)",
        CONTENT,
        choices=("1.0", "2.0"),
    ),
    Field(
        "shape",
        "string",
        "single",
        "Flow shape",
        "single | chain:N | fanout:W (N, W in 1..100) | random | mix | mix:single=5,chain:3=2,..."
        " | profile",
        CONTENT,
        min_length=1,
        examples=("single", "chain:3", "fanout:4", "random", "mix"),
    ),
    # JSON numbers in a browser form are exact only up to 2**53 - 1: one bound for every input.
    Field(
        "seed",
        "integer",
        0,
        "Seed",
        "seed for random shapes and mixes (same seed, same flows)",
        CONTENT,
        minimum=0,
        maximum=2**53 - 1,
    ),
    Field(
        "command",
        "string",
        "echo {project} {flow} {job}",
        "Job command",
        "job command; placeholders {project} {flow} {job} {index}",
        CONTENT,
        min_length=1,
        max_length=4_096,
    ),
    Field(
        "schedule",
        "string",
        "off",
        "Flow schedules",
        "off, or a daily window HH:MM-HH:MM in which every flow gets a cron schedule",
        CONTENT,
        pattern="off|[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}",
        pattern_problem="is not off or a window HH:MM-HH:MM",
        fix='use "off" or a daily window "HH:MM-HH:MM" (24-hour clock, e.g. "00:00-06:00")',
        examples=("off", "00:00-06:00"),
    ),
    Field(
        "profile",
        "string",
        "",
        "Profile file",
        "path of a profile JSON file readable by every worker (shape profile draws from it); "
        '"" = none',
        CONTENT,
        max_length=4_096,
    ),
    Field(
        "max_map_length",
        "integer",
        1024,
        "Max shards",
        "Airflow's [core] max_map_length: the most shards a plan may have",
        minimum=1,
        maximum=1_000_000,
        form=False,
    ),
    # Filled in by whoever runs the shards: the DAG from its parallel-shard cap, the CLI
    # (one shard after another) with 1.
    Field(
        "parallel_shards",
        "integer",
        1,
        "Parallel shards",
        "how many shards run at the same time: auto sizing (projects_per_shard 0) makes "
        "this many shards",
        minimum=1,
        maximum=1_000_000,
        form=False,
    ),
)

_RUN_FIELD_LIST = (
    # Two to four workers saturate one Azkaban web server; more only add lock contention.
    Field(
        "processes",
        "integer",
        4,
        "Worker processes per shard",
        "worker processes building and uploading in parallel",
        RUN,
        minimum=1,
        maximum=64,
    ),
    Field(
        "upload_timeout",
        "number",
        120.0,
        "Upload timeout (s)",
        "read timeout of one upload (s)",
        RUN,
        minimum=0,
        exclusive_minimum=True,
        maximum=3_600.0,
        form=False,
    ),
    Field(
        "retry_attempts",
        "integer",
        6,
        "Retry attempts",
        "attempts per request before giving up (transient faults only)",
        RUN,
        minimum=1,
        maximum=50,
        form=False,
    ),
    Field(
        "retry_max_seconds",
        "number",
        300.0,
        "Retry budget (s)",
        "time budget for the retries of one request (s)",
        RUN,
        minimum=0,
        exclusive_minimum=True,
        maximum=86_400.0,
        form=False,
    ),
    Field(
        "outage_seconds",
        "number",
        60.0,
        "Outage window (s)",
        "how long a server outage (no connection, 502/503/504, no reply) is ridden out before "
        "the run stops trying and marks what is left as not attempted",
        RUN,
        minimum=0,
        exclusive_minimum=True,
        maximum=3_600.0,
        form=False,
    ),
    Field(
        "force",
        "boolean",
        False,
        "Re-upload everything",
        "re-upload every project even when the server already holds exactly this content "
        "(by default an unchanged project is skipped)",
        RUN,
    ),
)

#: What to do with our projects of the prefix that the plan no longer holds (DAG param).
MODE_FIELD = Field(
    "mode",
    "string",
    "converge",
    "Mode",
    "converge: remove only our projects the plan no longer holds; teardown_first: delete all "
    "our projects of the prefix first",
    RUN,
    choices=("converge", "teardown_first"),
)

ENV_FIELDS: dict[str, Field] = {f.name: f for f in _ENV_FIELD_LIST}
RUN_FIELDS: dict[str, Field] = {f.name: f for f in _RUN_FIELD_LIST}


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


# --------------------------------------------------------------------------- shapes


def _parse_simple_shape(text: str, weight: int) -> ShapeChoice:
    kind, sep, param_text = text.partition(":")
    fix = "use single, chain:N, fanout:W (N, W in 1..100), random or mix"
    if kind in ("single", "random") and not sep:
        return ShapeChoice(kind, 0, weight)
    if kind in ("chain", "fanout") and sep:
        if not re.fullmatch("[0-9]+", param_text):
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
        if not sep or not re.fullmatch("[0-9]+", weight_text.strip()):
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
    if text == PROFILE_SHAPE:
        return (ShapeChoice(PROFILE_SHAPE, 0, 1),)
    if text == "mix":
        text = DEFAULT_MIX
    if text.startswith("mix:"):
        return _parse_mix(text[len("mix:") :])
    return (_parse_simple_shape(text, 1),)


# --------------------------------------------------------------------------- schedule


_WINDOW_RE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")


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


def _check_format_widths(name: str, format_spec: str) -> None:
    """A width or precision in ``{index:>100000}`` could ask for any amount of memory; no
    number in a format spec may exceed the command's length limit."""
    limit = ENV_FIELDS["command"].max_length or 0
    widest = max((int(n) for n in re.findall(r"[0-9]+", format_spec)), default=0)
    if widest > limit:
        raise SpecError(
            "command",
            f"format {{{name}:{format_spec}}} asks for {widest} characters",
            f"use widths of at most {limit} (the command's length limit)",
        )


def _validate_command(command: str) -> None:
    allowed = ", ".join("{" + p + "}" for p in COMMAND_PLACEHOLDERS)
    fix = f"use only the placeholders {allowed}; write literal braces as {{{{ and }}}}"
    # Emptiness and length are the field's own rules (ENV_FIELDS["command"]), checked first.
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
            (f, conv, spec)
            for _, f, spec, conv in string.Formatter().parse(command)
            if f is not None
        ]
    except ValueError as exc:
        raise SpecError("command", f"bad template ({exc})", fix) from None
    for name, conversion, format_spec in fields_:
        if name not in COMMAND_PLACEHOLDERS:
            raise SpecError("command", f"unknown placeholder {{{name}}}", fix)
        if conversion is not None:
            raise SpecError("command", f"conversion !{conversion} in {{{name}}}", fix)
        _check_format_widths(name, format_spec or "")
    try:
        command.format(project="p", flow="f", job="j", index=0)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise SpecError("command", f"bad template ({exc})", fix) from None


# --------------------------------------------------------------------------- records


def _loose_values(cls: type, table: Mapping[str, Field], data: Mapping[str, Any]) -> dict[str, Any]:
    """Unknown keys refused; ``None`` means "not given" (Params / CLI defaults pass every key);
    every given value coerced by its field."""
    unknown = sorted(set(data) - set(table))
    if unknown:
        raise SpecError(
            unknown[0], f"unknown key for {cls.__name__}", f"use one of: {', '.join(table)}"
        )
    return {k: table[k].coerce(v) for k, v in data.items() if v is not None}


def _check_fields(record: Any, table: Mapping[str, Field]) -> None:
    for f in fields(record):
        table[f.name].check(getattr(record, f.name))


@dataclass(frozen=True)
class EnvSpec:
    """The Azkaban environment to build; see the module docstring for shapes and limits.

    Defaults and per-field rules come from `ENV_FIELDS`; `validate` adds the rules that span
    fields or need parsing (shape, command template, schedule window, shard count)."""

    flow_count: int = ENV_FIELDS["flow_count"].default
    flows_per_project: int = ENV_FIELDS["flows_per_project"].default
    projects_per_shard: int = ENV_FIELDS["projects_per_shard"].default
    prefix: str = ENV_FIELDS["prefix"].default
    flow_format: str = ENV_FIELDS["flow_format"].default
    shape: str = ENV_FIELDS["shape"].default
    seed: int = ENV_FIELDS["seed"].default
    command: str = ENV_FIELDS["command"].default
    schedule: str = ENV_FIELDS["schedule"].default
    profile: str = ENV_FIELDS["profile"].default
    max_map_length: int = ENV_FIELDS["max_map_length"].default
    parallel_shards: int = ENV_FIELDS["parallel_shards"].default

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EnvSpec:
        """Build from loose values (CLI, JSON, Airflow params); raises `SpecError`."""
        return cls(**_loose_values(cls, ENV_FIELDS, data))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; ``EnvSpec.from_mapping(spec.to_dict()) == spec``."""
        return asdict(self)

    @property
    def project_count(self) -> int:
        return math.ceil(self.flow_count / self.flows_per_project)

    @property
    def shard_size(self) -> int:
        """Projects per shard: ``projects_per_shard``, or with 0 (auto) the fewest that make
        at most ``parallel_shards`` shards (and at most ``max_map_length``).

        Auto makes one wave: each shard task pays its start-up (task process, worker pool,
        logins) once, and no shard waits for a free slot. A failed shard re-run re-checks
        all its projects, but unchanged ones are skipped (incremental converge)."""
        if self.projects_per_shard:
            return self.projects_per_shard
        shards = max(1, min(self.project_count, self.parallel_shards, self.max_map_length))
        return math.ceil(self.project_count / shards)

    @property
    def shard_count(self) -> int:
        return math.ceil(self.project_count / self.shard_size)

    @property
    def shape_choices(self) -> tuple[ShapeChoice, ...]:
        return parse_shape(self.shape)

    @property
    def schedule_window(self) -> ScheduleWindow | None:
        return parse_schedule_window(self.schedule)

    def validate(self) -> None:
        """Check every rule; raises `SpecError` for the first violation."""
        _check_fields(self, ENV_FIELDS)
        parse_shape(self.shape)
        _validate_command(self.command)
        self._validate_expanded_command()
        parse_schedule_window(self.schedule)
        self._validate_profile()
        self._validate_shards()

    def _validate_profile(self) -> None:
        wants_profile = parse_shape(self.shape)[0].kind == PROFILE_SHAPE
        if wants_profile and not self.profile.strip():
            raise SpecError(
                "profile",
                'shape "profile" needs a profile file',
                "set profile to the path of a profile JSON file readable by every worker",
            )
        if self.profile.strip() and not wants_profile:
            raise SpecError(
                "profile",
                f"a profile file is set but shape is {self.shape!r}",
                'set shape to "profile" to draw flows from the file, or set profile to ""',
            )

    def _validate_expanded_command(self) -> None:
        """The command as the last flow's longest job gets it must fit the length limit too
        (the template alone says nothing about ``{index:>4000}`` or a long prefix)."""
        last = self.flow_count - 1
        flow = f"flow_{last:06d}"
        expanded = self.command.format(
            project=f"{self.prefix}_{self.project_count - 1:05d}",
            flow=flow,
            job=f"{flow}_j999",
            index=last,
        )
        limit = ENV_FIELDS["command"].max_length or 0
        if len(expanded) > limit:
            raise SpecError(
                "command",
                f"expands to {len(expanded)} characters for the last flow, more than {limit}",
                "shorten the command or its format widths",
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


@dataclass(frozen=True)
class RunOptions:
    """How to run a build: worker processes per shard, upload timeout and retry bounds
    (defaults and rules from `RUN_FIELDS`)."""

    processes: int = RUN_FIELDS["processes"].default
    upload_timeout: float = RUN_FIELDS["upload_timeout"].default
    retry_attempts: int = RUN_FIELDS["retry_attempts"].default
    retry_max_seconds: float = RUN_FIELDS["retry_max_seconds"].default
    outage_seconds: float = RUN_FIELDS["outage_seconds"].default
    force: bool = RUN_FIELDS["force"].default

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RunOptions:
        """Build from loose values (CLI, JSON, Airflow params); raises `SpecError`."""
        return cls(**_loose_values(cls, RUN_FIELDS, data))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> None:
        _check_fields(self, RUN_FIELDS)

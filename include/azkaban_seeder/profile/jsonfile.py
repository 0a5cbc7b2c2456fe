"""The profile file: `load_profile` (read, validate, cache per process) and `dump_profile`.

Validation is strict and happens before anything is built: a file that is unreadable, not
JSON, truncated, of another format or schema version, from a partial crawl, with a missing,
unknown or mistyped key, a negative count or any string outside the known vocabulary is
refused with a `ProfileError` naming the problem and the fix. Job types are the one free-text
area and must be short tokens (``[A-Za-z][A-Za-z0-9_.-]{0,63}``); a key that would hold a name
(``project``, ``flow``, ``name``, ``command``, ...) anywhere refuses the whole file.

Workers regenerate flows from ``(spec, index)`` in pool processes, each loading the
profile again, so `load_profile` caches by (absolute path, mtime, size).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import tempfile
from typing import Any

from azkaban_seeder.profile.errors import ProfileError
from azkaban_seeder.profile.model import (
    CADENCE_CLASSES,
    FLOW_FORMATS,
    HOURS_PER_WEEK,
    PROFILE_FORMAT,
    SCHEMA_VERSION,
    Counts,
    Executions,
    Graphs,
    Histogram,
    OtherCadence,
    Profile,
    ProfileOptions,
    Quantiles,
    RangeBin,
    Schedules,
    ShapeRow,
    SubHourly,
    Thresholds,
    profile_to_dict,
)

JOB_TYPE_PATTERN = "[A-Za-z][A-Za-z0-9_.-]{0,63}"
_JOB_TYPE_RE = re.compile(JOB_TYPE_PATTERN)
_CREATED_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
#: Keys that would carry names, commands, properties or users: never in a profile.
NAME_KEYS = frozenset({"project", "flow", "job", "name", "command", "user", "properties"})
MAX_GRAPH_SIZE = 100_000  # jobs, depth or width of one flow

_RECRAWL = "re-create it with azkaban-seeder's crawler (never edit a profile by hand)"
_NAMES_FIX = "a profile holds distributions only: re-crawl, and never add names to the file"

_NUMERIC_BOUNDS: dict[str, tuple[int, int]] = {
    "flows_per_project": (0, 1_000_000),
    "jobs_per_flow": (1, MAX_GRAPH_SIZE),
    "depth": (1, MAX_GRAPH_SIZE),
    "max_width": (1, MAX_GRAPH_SIZE),
    "level_width": (1, MAX_GRAPH_SIZE),
    "fan_in": (0, MAX_GRAPH_SIZE),
    "fan_out": (0, MAX_GRAPH_SIZE),
    "embedded_flows": (0, MAX_GRAPH_SIZE),
    "embedded_depth": (0, MAX_GRAPH_SIZE),
}

_CACHE_SIZE = 8
_cache: dict[tuple[str, int, int], Profile] = {}


# --------------------------------------------------------------------------- primitives


def _fail(problem: str, fix: str = _RECRAWL) -> ProfileError:
    return ProfileError(problem, fix)


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _object(value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """``value`` as a JSON object with exactly ``keys`` (``where`` "" = the top level)."""
    if not isinstance(value, dict):
        raise _fail(f"{where or 'the top level'} must be an object (got {_type_name(value)})")
    prefix = f"{where}." if where else ""
    for key in keys:
        if key not in value:
            raise _fail(f"missing key {prefix}{key}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise _fail(
            f"unknown key {prefix}{unknown[0]}",
            "remove it (or upgrade azkaban-seeder if a newer version wrote this file)",
        )
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(f"{where} must be a list (got {_type_name(value)})")
    return value


def _int(value: Any, where: str, low: int = 0, high: int | None = None) -> int:
    if type(value) is not int:
        raise _fail(f"{where} must be an integer (got {_type_name(value)})")
    if value < 0 <= low:
        raise _fail(f"negative count {value} in {where}")
    if value < low or (high is not None and value > high):
        raise _fail(f"{where} is {value}, outside {low}..{high if high is not None else 'inf'}")
    return value


def _number(value: Any, where: str, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(f"{where} must be a number (got {_type_name(value)})")
    if not low <= value <= high:
        raise _fail(f"{where} is {value}, outside {low:g}..{high:g}")
    return float(value)


def job_type_problem(text: str) -> str | None:
    """Why ``text`` is not an acceptable job-type token, or None if it is one."""
    if any(ch in text for ch in " /=\\") or len(text) > 64:
        return f"job type {text[:80]!r} looks like a name, path or command"
    if not _JOB_TYPE_RE.fullmatch(text):
        return f"job type {text[:80]!r} is not a token [A-Za-z][A-Za-z0-9_.-]{{0,63}}"
    return None


def _job_type(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"{where} must be a job-type string (got {_type_name(value)})")
    problem = job_type_problem(value)
    if problem is not None:
        raise _fail(f"{problem} at {where}", _NAMES_FIX)
    return value


def _check_no_names(value: Any, where: str = "") -> None:
    """Refuse any key that would hold a name, wherever it sits."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in NAME_KEYS:
                raise _fail(f"contains names (key {key!r} at {where or 'top level'})", _NAMES_FIX)
            _check_no_names(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_no_names(item, f"{where}[{i}]")


# --------------------------------------------------------------------------- parts


def parse_histogram(value: Any, where: str, low: int, high: int) -> Histogram:
    """``[[lo, hi, count], ...]``: sorted, disjoint, inside ``low..high``, counts >= 0."""
    bins: list[RangeBin] = []
    previous = low - 1
    for i, item in enumerate(_list(value, where)):
        at = f"{where}[{i}]"
        if not isinstance(item, list) or len(item) != 3:
            raise _fail(f"{at} must be [lo, hi, count] (got {item!r:.60})")
        lo = _int(item[0], f"{at}.lo", low, high)
        hi = _int(item[1], f"{at}.hi", low, high)
        count = _int(item[2], f"{at}.count")
        if lo > hi or lo <= previous:
            raise _fail(f"{at} [{lo}, {hi}] is not sorted, disjoint and lo <= hi")
        previous = hi
        bins.append(RangeBin(lo, hi, count))
    return Histogram(tuple(bins))


def _parse_options(value: Any) -> ProfileOptions:
    obj = _object(value, "options", ("k", "history_days", "max_executions_per_flow", "thresholds"))
    t = _object(
        obj["thresholds"], "options.thresholds", ("ks", "js", "top_minutes_rel", "top_minutes_n")
    )
    thresholds = Thresholds(
        ks=_number(t["ks"], "options.thresholds.ks", high=1.0),
        js=_number(t["js"], "options.thresholds.js", high=1.0),
        top_minutes_rel=_number(t["top_minutes_rel"], "options.thresholds.top_minutes_rel"),
        top_minutes_n=_int(t["top_minutes_n"], "options.thresholds.top_minutes_n", 1, 10_080),
    )
    return ProfileOptions(
        k=_int(obj["k"], "options.k", 1),
        history_days=_int(obj["history_days"], "options.history_days"),
        max_executions_per_flow=_int(
            obj["max_executions_per_flow"], "options.max_executions_per_flow"
        ),
        thresholds=thresholds,
    )


def _parse_counts(value: Any) -> Counts:
    keys = ("projects", "flows", "scheduled_flows", "executions_sampled")
    obj = _object(value, "counts", keys)
    counts = Counts(*(_int(obj[k], f"counts.{k}") for k in keys))
    if counts.scheduled_flows > counts.flows:
        raise _fail(f"counts.scheduled_flows {counts.scheduled_flows} > flows {counts.flows}")
    return counts


def _parse_labelled(value: Any, where: str, labels: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """A ``{label: count}`` object over exactly the vocabulary ``labels``."""
    obj = _object(value, where, labels)
    return tuple((label, _int(obj[label], f"{where}.{label}")) for label in labels)


def _parse_job_types(value: Any) -> tuple[tuple[str, int], ...]:
    seen: set[str] = set()
    out: list[tuple[str, int]] = []
    for i, item in enumerate(_list(value, "graphs.job_types")):
        at = f"graphs.job_types[{i}]"
        if not isinstance(item, list) or len(item) != 2:
            raise _fail(f"{at} must be [type, count]")
        label = _job_type(item[0], at)
        if label in seen:
            raise _fail(f"{at}: job type {label!r} listed twice")
        seen.add(label)
        out.append((label, _int(item[1], f"{at}.count")))
    return tuple(out)


def _parse_shape_table(value: Any) -> tuple[ShapeRow, ...]:
    rows = []
    for i, item in enumerate(_list(value, "graphs.shape_table")):
        at = f"graphs.shape_table[{i}]"
        if not isinstance(item, list) or len(item) != 7:
            raise _fail(
                f"{at} must be [jobs_lo, jobs_hi, depth_lo, depth_hi, width_lo, width_hi, count]"
            )
        lows_highs = [_int(v, f"{at}[{j}]", 1, MAX_GRAPH_SIZE) for j, v in enumerate(item[:6])]
        count = _int(item[6], f"{at}.count")
        pairs = [(lows_highs[j], lows_highs[j + 1]) for j in (0, 2, 4)]
        if any(lo > hi for lo, hi in pairs):
            raise _fail(f"{at} has a range with lo > hi")
        rows.append(ShapeRow(pairs[0], pairs[1], pairs[2], count))
    return tuple(rows)


def _parse_graphs(value: Any) -> Graphs:
    keys = (*_NUMERIC_BOUNDS, "shape_table", "job_types", "flow_formats")
    obj = _object(value, "graphs", keys)
    numeric = {
        key: parse_histogram(obj[key], f"graphs.{key}", *bounds)
        for key, bounds in _NUMERIC_BOUNDS.items()
    }
    return Graphs(
        **numeric,
        shape_table=_parse_shape_table(obj["shape_table"]),
        job_types=_parse_job_types(obj["job_types"]),
        flow_formats=_parse_labelled(obj["flow_formats"], "graphs.flow_formats", FLOW_FORMATS),
    )


def _one_histogram(parent: dict[str, Any], where: str, key: str, low: int, high: int) -> Histogram:
    obj = _object(parent, where, (key,))
    return parse_histogram(obj[key], f"{where}.{key}", low, high)


def _parse_other(value: Any) -> OtherCadence:
    where = "schedules.other"
    parts = {"days_per_week": 7, "hours_per_day": 24, "fires_per_hour": 60, "minute_of_day": 1439}
    obj = _object(value, where, tuple(parts))
    return OtherCadence(
        **{k: parse_histogram(obj[k], f"{where}.{k}", 0, high) for k, high in parts.items()}
    )


def _parse_schedules(value: Any) -> Schedules:
    keys = ("cadences", "sub_hourly", "hourly", "daily", "weekly", "other", "fires_per_week")
    obj = _object(value, "schedules", keys)
    sub = _object(obj["sub_hourly"], "schedules.sub_hourly", ("interval", "offset"))
    return Schedules(
        cadences=_parse_labelled(obj["cadences"], "schedules.cadences", CADENCE_CLASSES),
        sub_hourly=SubHourly(
            interval=parse_histogram(sub["interval"], "schedules.sub_hourly.interval", 1, 59),
            offset=parse_histogram(sub["offset"], "schedules.sub_hourly.offset", 0, 58),
        ),
        hourly_minute=_one_histogram(obj["hourly"], "schedules.hourly", "minute", 0, 59),
        daily_minute=_one_histogram(obj["daily"], "schedules.daily", "minute_of_day", 0, 1439),
        weekly_minute=_one_histogram(
            obj["weekly"], "schedules.weekly", "minute_of_week", 0, 10_079
        ),
        other=_parse_other(obj["other"]),
        fires_per_week=parse_histogram(
            obj["fires_per_week"], "schedules.fires_per_week", 0, 10_079
        ),
    )


def _parse_probs(value: Any) -> tuple[float, ...]:
    where = "executions.quantile_probs"
    probs = tuple(_number(v, f"{where}[{i}]", 0.0, 1.0) for i, v in enumerate(_list(value, where)))
    if len(probs) < 2 or probs[0] != 0.0 or probs[-1] != 1.0:
        raise _fail(f"{where} must start at 0, end at 1 and hold at least 2 values")
    if any(b <= a for a, b in itertools.pairwise(probs)):
        raise _fail(f"{where} must be strictly increasing")
    return probs


def _parse_quantiles(value: Any, where: str, size: int, keys: tuple[str, ...]) -> Quantiles:
    obj = _object(value, where, keys)
    values = tuple(
        _number(v, f"{where}.values[{i}]") for i, v in enumerate(_list(obj["values"], where))
    )
    if len(values) != size:
        raise _fail(f"{where}.values holds {len(values)} values, quantile_probs {size}")
    if any(b < a for a, b in itertools.pairwise(values)):
        raise _fail(f"{where}.values must not decrease")
    return Quantiles(_int(obj["count"], f"{where}.count"), values)


def _parse_job_seconds(value: Any, size: int) -> tuple[tuple[str, Quantiles], ...]:
    out: list[tuple[str, Quantiles]] = []
    for i, item in enumerate(_list(value, "executions.job_seconds")):
        at = f"executions.job_seconds[{i}]"
        quantiles = _parse_quantiles(item, at, size, ("type", "count", "values"))
        out.append((_job_type(item["type"], f"{at}.type"), quantiles))
    return tuple(out)


def _parse_concurrency(value: Any) -> tuple[float, ...]:
    where = "executions.concurrency_by_hour"
    values = tuple(_number(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where)))
    if len(values) != HOURS_PER_WEEK:
        raise _fail(f"{where} holds {len(values)} values, not {HOURS_PER_WEEK}")
    return values


def _parse_executions(value: Any) -> Executions | None:
    if value is None:
        return None
    keys = (
        "quantile_probs",
        "flow_seconds",
        "job_seconds",
        "flow_failure_rate",
        "job_failure_rate",
        "concurrency_by_hour",
    )
    obj = _object(value, "executions", keys)
    probs = _parse_probs(obj["quantile_probs"])
    flow_seconds = obj["flow_seconds"]
    return Executions(
        flow_seconds=None
        if flow_seconds is None
        else _parse_quantiles(
            flow_seconds, "executions.flow_seconds", len(probs), ("count", "values")
        ),
        job_seconds=_parse_job_seconds(obj["job_seconds"], len(probs)),
        flow_failure_rate=_number(obj["flow_failure_rate"], "executions.flow_failure_rate", high=1),
        job_failure_rate=_number(obj["job_failure_rate"], "executions.job_failure_rate", high=1),
        concurrency_by_hour=_parse_concurrency(obj["concurrency_by_hour"]),
        quantile_probs=probs,
    )


def _check_header(doc: dict[str, Any]) -> None:
    if doc.get("format") != PROFILE_FORMAT:
        raise _fail(
            f"format is {doc.get('format')!r}, not {PROFILE_FORMAT!r}",
            "pass a profile written by azkaban-seeder's crawler",
        )
    version = doc.get("schema_version")
    if version is None:
        raise _fail("missing schema_version", _RECRAWL)
    if type(version) is int and version > SCHEMA_VERSION:
        raise _fail(
            f"schema_version {version} was written by a newer azkaban-seeder "
            f"(this one reads {SCHEMA_VERSION})",
            "upgrade azkaban-seeder",
        )
    if version != SCHEMA_VERSION or type(version) is not int:
        raise _fail(
            f"unknown schema_version {version!r} (this azkaban-seeder reads {SCHEMA_VERSION})",
            "re-crawl with this azkaban-seeder",
        )


def parse_profile(doc: Any) -> Profile:
    """Validate a decoded JSON document and build its `Profile`; raises `ProfileError`."""
    if not isinstance(doc, dict):
        raise _fail(f"the top level must be an object (got {_type_name(doc)})")
    _check_header(doc)
    _check_no_names(doc)
    if doc.get("complete") is not True:
        raise _fail(
            f"complete is {doc.get('complete')!r}: the crawl stopped early (partial crawl)",
            "re-run the crawl to completion; a partial crawl is never a profile",
        )
    keys = (
        "format",
        "schema_version",
        "complete",
        "created",
        "options",
        "counts",
        "graphs",
        "schedules",
        "executions",
    )
    obj = _object(doc, "", keys)
    created = obj["created"]
    if not isinstance(created, str) or not _CREATED_RE.fullmatch(created):
        raise _fail(
            f"created must be an ISO UTC time like 2026-01-31T12:00:00Z (got {created!r:.60})"
        )
    return Profile(
        created=created,
        options=_parse_options(obj["options"]),
        counts=_parse_counts(obj["counts"]),
        graphs=_parse_graphs(obj["graphs"]),
        schedules=_parse_schedules(obj["schedules"]),
        executions=_parse_executions(obj["executions"]),
    )


# --------------------------------------------------------------------------- files


def _refuse_constant(name: str) -> Any:
    raise _fail(f"holds the non-finite number {name}")


def _decode(text: str) -> Any:
    if not text.strip():
        raise _fail("the file is empty", "re-run the crawl or copy the profile again")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            raise _fail(
                f"truncated JSON (ends after {len(text)} characters: {exc.msg})",
                "the write or copy was interrupted; re-run the crawl or copy the profile again",
            ) from None
        raise _fail(
            f"not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})",
            "pass the profile JSON file the crawler wrote",
        ) from None
    except RecursionError:
        raise _fail("not JSON this reader accepts (nested too deeply)", _RECRAWL) from None


def read_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and validate ``path`` (no cache); raises `ProfileError` naming the file."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ProfileError(
            f"cannot read the file ({exc.strerror or exc})",
            "check the path and that every worker can read it",
            source=source,
        ) from None
    try:
        return parse_profile(_decode(raw.decode("utf-8")))
    except UnicodeDecodeError:
        raise ProfileError(
            "not JSON (not UTF-8 text)", "pass the profile JSON file", source=source
        ) from None
    except ProfileError as exc:
        raise ProfileError(exc.problem, exc.fix, source=source) from None


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """`read_profile`, cached per process by (absolute path, mtime, size)."""
    source = os.path.abspath(os.fspath(path))
    try:
        st = os.stat(source)
    except OSError as exc:
        raise ProfileError(
            f"cannot read the file ({exc.strerror or exc})",
            "check the path and that every worker can read it",
            source=os.fspath(path),
        ) from None
    key = (source, st.st_mtime_ns, st.st_size)
    profile = _cache.get(key)
    if profile is None:
        profile = read_profile(path)
        if len(_cache) >= _CACHE_SIZE:
            del _cache[next(iter(_cache))]  # the oldest entry
        _cache[key] = profile
    return profile


def _dumps(value: Any, indent: str) -> str:
    """JSON with objects one key a line and lists of numbers (bins, rows) on one line."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        items = [inner + _dumps(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


def profile_json(profile: Profile) -> str:
    """The text of the profile file (`profile_to_dict`, compactly indented)."""
    return _dumps(profile_to_dict(profile), "") + "\n"


def dump_profile(profile: Profile, path: str | os.PathLike[str]) -> None:
    """Write ``profile`` as JSON, atomically (a temporary file renamed into place)."""
    target = os.fspath(path)
    text = profile_json(profile)
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".profile-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def profile_cache_clear() -> None:
    """Forget cached profiles (tests)."""
    _cache.clear()

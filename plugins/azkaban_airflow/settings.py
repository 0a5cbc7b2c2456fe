"""Deployment settings of the Airflow glue: every environment variable it reads, in one place.

- ``AZKABAN_SEEDER_CONN_ID`` (default ``azkaban_default``): the Airflow Connection of both DAGs;
- ``AZKABAN_SEEDER_MAX_PARALLEL_SHARDS`` (default: the executor's slots, ``[core] parallelism``
  and ``[core] max_active_tasks_per_dag``, at most ``4``): shards of one run uploading at the
  same time (the shard task's ``max_active_tis_per_dagrun``); the plan also makes this many
  shards when ``projects_per_shard`` is 0 (auto);
- ``AZKABAN_SEEDER_SHARD_TIMEOUT`` (default ``3600``): seconds before a shard task is killed
  (its ``execution_timeout``);
- ``AZKABAN_SEEDER_POOL`` (default ``default_pool``): the Airflow pool of the shard tasks;
- ``AZKABAN_SEEDER_REPORT_DIR`` (default ``$AIRFLOW_HOME/reports``): where run reports go (the
  api-server reads them from there for the report page, so it needs the same value);
- ``AZKABAN_SEEDER_PROFILE_CONN_ID`` (default ``azkaban_prod``): the Connection of
  ``azkaban_env_profile``, the production Azkaban it profiles read-only (a READ account);
- ``AZKABAN_SEEDER_LIKENESS_RATE`` (default ``50``) and ``AZKABAN_SEEDER_LIKENESS_BUDGET``
  (default ``1800``): requests per second and time budget (s) of the likeness check's crawl
  of a freshly built test environment (shape ``profile``), within the crawl fields' bounds.

The nightly DAG alone also reads (`load_nightly_settings`; a bad value breaks only its file):

- ``AZKABAN_SEEDER_NIGHTLY_CRON`` (default ``0 2 * * *``, UTC): when it runs;
- ``AZKABAN_SEEDER_NIGHTLY_CONF`` (default ``{}``): a JSON object of rebuild params (the names
  of the ``azkaban_env_rebuild`` form; unset ones keep the form's defaults), checked against
  the spec's field table.

`load_settings` reads them from the environment only (no Variable, no Connection, no I/O), so
the DAG files call it at parse time. Airflow parses a DAG file in the dag-processor and again in
the worker before each task, and the scheduler uses what the dag-processor saw: every component
must see the same values. A bad value raises `ValueError` naming the variable and the fix, which
Airflow shows as the DAG file's import error.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

CONN_ID_ENV = "AZKABAN_SEEDER_CONN_ID"
MAX_PARALLEL_SHARDS_ENV = "AZKABAN_SEEDER_MAX_PARALLEL_SHARDS"
SHARD_TIMEOUT_ENV = "AZKABAN_SEEDER_SHARD_TIMEOUT"
POOL_ENV = "AZKABAN_SEEDER_POOL"
REPORT_DIR_ENV = "AZKABAN_SEEDER_REPORT_DIR"
NIGHTLY_CRON_ENV = "AZKABAN_SEEDER_NIGHTLY_CRON"
NIGHTLY_CONF_ENV = "AZKABAN_SEEDER_NIGHTLY_CONF"

DEFAULT_CONN_ID = "azkaban_default"
#: The most shards of one run uploading at the same time by default, whatever the executor
#: offers: 4 shards x 4 worker processes (the ``processes`` default) = 16 uploads at once,
#: below the 20 request threads of an Azkaban web server (docs/runner.md, "Picking processes").
#: ``AZKABAN_SEEDER_MAX_PARALLEL_SHARDS`` sets it (`DeploymentSettings.max_parallel_shards`
#: holds the value in effect).
DEFAULT_MAX_PARALLEL_SHARDS = 4
DEFAULT_SHARD_TIMEOUT_SECONDS = 3600
DEFAULT_POOL = "default_pool"
DEFAULT_NIGHTLY_CRON = "0 2 * * *"
PROFILE_CONN_ID_ENV = "AZKABAN_SEEDER_PROFILE_CONN_ID"
LIKENESS_RATE_ENV = "AZKABAN_SEEDER_LIKENESS_RATE"
LIKENESS_BUDGET_ENV = "AZKABAN_SEEDER_LIKENESS_BUDGET"
DEFAULT_PROFILE_CONN_ID = "azkaban_prod"
#: The likeness crawl reads our own test environment: faster than a production crawl (20/s).
DEFAULT_LIKENESS_RATE = 50.0
DEFAULT_LIKENESS_BUDGET_SECONDS = 1800.0


@dataclasses.dataclass(frozen=True)
class DeploymentSettings:
    """The deployment's knobs, validated; build it with `load_settings`."""

    report_dir: Path
    conn_id: str = DEFAULT_CONN_ID
    max_parallel_shards: int = DEFAULT_MAX_PARALLEL_SHARDS
    shard_timeout: timedelta = timedelta(seconds=DEFAULT_SHARD_TIMEOUT_SECONDS)
    pool: str = DEFAULT_POOL
    profile_conn_id: str = DEFAULT_PROFILE_CONN_ID
    likeness_rate: float = DEFAULT_LIKENESS_RATE
    likeness_budget_seconds: float = DEFAULT_LIKENESS_BUDGET_SECONDS


def _text(name: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError(f"{name} is blank; fix: set it to a name, or unset it for the default")
    return value


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name}={raw!r} is not a positive whole number; fix: set e.g. {name}=4")
    return value


def _seconds(name: str, raw: str) -> timedelta:
    try:
        return timedelta(seconds=_positive_int(name, raw))
    except ValueError:
        raise ValueError(
            f"{name}={raw!r} is not a positive whole number of seconds; "
            f"fix: set e.g. {name}={DEFAULT_SHARD_TIMEOUT_SECONDS}"
        ) from None


def _crawl_number(field_name: str, example: float) -> Callable[[str, str], float]:
    """A parser checking the value against the crawl field's bounds (`CRAWL_FIELDS`)."""

    def parse(name: str, raw: str) -> float:
        from azkaban_seeder.crawl.options import CRAWL_FIELDS
        from azkaban_seeder.fields import SpecError

        field = CRAWL_FIELDS[field_name]
        try:
            return float(field.coerce(raw))
        except SpecError as exc:
            raise ValueError(
                f"{name}={raw!r}: {exc.problem}; fix: set e.g. {name}={example:g}"
            ) from None

    return parse


#: field -> (variable, parser of its raw text)
_FIELDS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "conn_id": (CONN_ID_ENV, _text),
    "max_parallel_shards": (MAX_PARALLEL_SHARDS_ENV, _positive_int),
    "shard_timeout": (SHARD_TIMEOUT_ENV, _seconds),
    "pool": (POOL_ENV, _text),
    "report_dir": (REPORT_DIR_ENV, lambda name, raw: Path(_text(name, raw))),
    "profile_conn_id": (PROFILE_CONN_ID_ENV, _text),
    "likeness_rate": (LIKENESS_RATE_ENV, _crawl_number("rate", DEFAULT_LIKENESS_RATE)),
    "likeness_budget_seconds": (
        LIKENESS_BUDGET_ENV,
        _crawl_number("budget_seconds", DEFAULT_LIKENESS_BUDGET_SECONDS),
    ),
}


def executor_slots() -> int:
    """Task instances one DAG run can have running: ``[core] parallelism`` (the executor's
    slots), capped by ``[core] max_active_tasks_per_dag``. Reads Airflow's configuration (a
    local file and ``AIRFLOW__*`` variables), nothing else."""
    from airflow.sdk import conf

    parallelism = conf.getint("core", "parallelism", fallback=32)
    per_dag = conf.getint("core", "max_active_tasks_per_dag", fallback=16)
    return max(1, min(parallelism, per_dag))


def load_settings(
    environ: Mapping[str, str] | None = None, slots: int | None = None
) -> DeploymentSettings:
    """`DeploymentSettings` from ``environ`` (default ``os.environ``); unset or empty variables
    take their defaults. Raises `ValueError` listing every bad variable with its fix.

    ``slots``: the executor's slots for one run (default `executor_slots`); the default
    parallel-shard cap is ``min(slots, DEFAULT_MAX_PARALLEL_SHARDS)``."""
    env = os.environ if environ is None else environ
    home = env.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    available = executor_slots() if slots is None else slots
    values: dict[str, Any] = {
        "report_dir": Path(home) / "reports",
        "max_parallel_shards": max(1, min(available, DEFAULT_MAX_PARALLEL_SHARDS)),
    }
    problems = []
    for field, (name, parse) in _FIELDS.items():
        raw = env.get(name)
        if raw is None or raw == "":
            continue
        try:
            values[field] = parse(name, raw)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("azkaban-seeder deployment settings: " + "; ".join(problems))
    return DeploymentSettings(**values)


@dataclasses.dataclass(frozen=True)
class NightlySettings:
    """When the nightly rebuild runs (a cron expression, UTC) and what it builds: every form
    field with its value (the deployment's conf over the form's defaults), already checked."""

    cron: str
    params: Mapping[str, Any]


def _max_map_length() -> int:
    from airflow.sdk import conf

    return conf.getint("core", "max_map_length", fallback=1024)


def _nightly_cron(raw: str | None) -> str:
    from airflow.sdk import CronTriggerTimetable

    cron = (raw or "").strip() or DEFAULT_NIGHTLY_CRON
    try:
        CronTriggerTimetable(cron, timezone="UTC").validate()
    except Exception as exc:  # croniter's own error types vary between versions
        raise ValueError(
            f"{NIGHTLY_CRON_ENV}={raw!r} is not a cron expression ({exc}); "
            f'fix: set five fields, e.g. {NIGHTLY_CRON_ENV}="{DEFAULT_NIGHTLY_CRON}"'
        ) from None
    return cron


def _nightly_params(raw: str | None, max_map_length: int) -> dict[str, Any]:
    from azkaban_airflow.params import check_values

    example = NIGHTLY_CONF_ENV + """='{"flow_count": 20000, "prefix": "nightly"}'"""
    try:
        values = json.loads(raw) if raw and raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{NIGHTLY_CONF_ENV} is not JSON ({exc}); fix: set a JSON object, e.g. {example}"
        ) from None
    if not isinstance(values, dict):
        raise ValueError(
            f"{NIGHTLY_CONF_ENV} must be a JSON object of rebuild params (got "
            f"{type(values).__name__}); fix: e.g. {example}"
        )
    try:
        return check_values(values, max_map_length=max_map_length)
    except ValueError as exc:
        problems = "; ".join(str(exc).splitlines())
        raise ValueError(f"{NIGHTLY_CONF_ENV}: {problems}") from None


def load_nightly_settings(
    environ: Mapping[str, str] | None = None, max_map_length: int | None = None
) -> NightlySettings:
    """`NightlySettings` from ``environ`` (default ``os.environ``); raises `ValueError` naming
    the variable, the form label of each bad value and the fix (the nightly DAG file's import
    error). ``max_map_length``: default Airflow's ``[core] max_map_length``."""
    env = os.environ if environ is None else environ
    problems = []
    cron = DEFAULT_NIGHTLY_CRON
    params: dict[str, Any] = {}
    try:
        cron = _nightly_cron(env.get(NIGHTLY_CRON_ENV))
    except ValueError as exc:
        problems.append(str(exc))
    limit = max_map_length if max_map_length is not None else _max_map_length()
    try:
        params = _nightly_params(env.get(NIGHTLY_CONF_ENV), limit)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError("azkaban-seeder nightly settings: " + "; ".join(problems))
    return NightlySettings(cron=cron, params=params)

"""What ``azkaban_env_profile`` and the rebuilds' ``likeness`` task do, behind Airflow.

- `check_profile_params` + `profile_production`: check the form, then crawl the production
  Azkaban read-only (its own Connection, ``AZKABAN_SEEDER_PROFILE_CONN_ID``) and write the
  profile to the ``out`` param or ``<report dir>/profiles/<run id>.json``; an incomplete crawl
  fails the task and writes nothing.
- `skip_reason` + `likeness` + `likeness_failure`: after a complete rebuild with shape
  ``profile``, crawl the planned projects of the fresh environment (no execution history:
  ``max_history_flows=0``; rate and budget from the deployment), compare them with the source
  profile and write ``<run id>.likeness.json|txt|png`` beside the report (the names the report
  page reads, `report_files`). The XCom is `likeness_summary`-sized: the verdict and one value
  per distribution, never a profile.

The library does the work (`azkaban_seeder.crawl.write_profile` / `write_likeness`, the same
functions as ``azkaban-seeder profile`` / ``compare``); this module turns params into its
records and its failures into Airflow's exceptions. The library is imported inside the
functions, so the DAG files' parse stays cheap.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from azkaban_airflow import report_files
from azkaban_airflow.params import PROFILE_OUT, check_profile_values, label, profile_fields
from azkaban_airflow.settings import LIKENESS_BUDGET_ENV, LIKENESS_RATE_ENV, load_settings
from azkaban_airflow.tasks import spec_from_params

if TYPE_CHECKING:
    from azkaban_seeder.azkaban import ConnectionSettings

logger = logging.getLogger(__name__)

LIKENESS_TASK_ID = "likeness"
#: XCom key of the likeness summary (pushed before the task fails on "not alike").
LIKENESS_XCOM_KEY = "likeness"
#: The likeness crawl reads our own fresh test environment: a few requests at once.
LIKENESS_MAX_IN_FLIGHT = 4
PROFILE_SHAPE = "profile"


def _reworded(text: str, names: Mapping[str, str]) -> str:
    """The crawler's advice names CLI flags (``--budget-seconds``); say what to set here."""

    def name(match: re.Match[str]) -> str:
        return names.get(match.group(1).replace("-", "_"), match.group(0))

    return re.sub(r"--([a-z][a-z-]*)", name, text)


# --------------------------------------------------------------------------- profile DAG


def check_profile_params(
    params: Mapping[str, Any], known: set[str] | frozenset[str] | None = None
) -> dict[str, Any]:
    """The profile form's values, typed; refused before the Connection is read."""
    try:
        return check_profile_values(params, frozenset(known) if known is not None else None)
    except ValueError as exc:
        raise AirflowFailException(
            f"the params were refused, nothing was read from Azkaban:\n{exc}"
        ) from None


def profile_output(out: str, run_id: str, report_dir: Path) -> Path:
    """The file to write: ``out``, or ``<report dir>/profiles/<run id>.json``; its directory
    is created and must be writable (checked before the crawl)."""
    path = Path(out) if out else report_files.profile_file(report_dir, run_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AirflowFailException(f"{label(PROFILE_OUT, profile_fields())}: {exc}") from None
    if path.is_dir() or not os.access(path.parent, os.W_OK):
        raise AirflowFailException(
            f"{label(PROFILE_OUT, profile_fields())}: cannot write {path} (a directory, or "
            "not writable by the worker); fix: name a file in a writable directory"
        )
    return path


def profile_production(
    values: Mapping[str, Any], settings: ConnectionSettings, run_id: str, report_dir: Path
) -> dict[str, Any]:
    """Crawl read-only and write the profile; returns a summary (path, counts, requests)."""
    from azkaban_seeder.crawl import CRAWL_FIELDS, CrawlIncomplete, CrawlOptions, write_profile

    options = CrawlOptions(**{name: values[name] for name in CRAWL_FIELDS})
    path = profile_output(str(values.get(PROFILE_OUT) or ""), run_id, report_dir)
    logger.info(
        "profiling %s read-only into %s: history %d days, %d executions per flow of at most "
        "%d flows; at most %d requests in flight, %g/s, budget %g s",
        settings.url,
        path,
        options.history_days,
        options.max_executions,
        options.max_history_flows,
        options.max_in_flight,
        options.rate,
        options.budget_seconds,
    )
    fields = profile_fields()
    try:
        written = write_profile(settings, options, path)
    except CrawlIncomplete as exc:
        words = {name: label(name, fields) for name in fields}
        raise AirflowFailException(_reworded(str(exc), words)) from None
    counts = written.profile.counts
    return {
        "path": str(path),
        "projects": counts.projects,
        "flows": counts.flows,
        "scheduled_flows": counts.scheduled_flows,
        "executions_sampled": counts.executions_sampled,
        "requests": written.outcome.observations.requests,
        "seconds": round(written.outcome.seconds, 3),
    }


# --------------------------------------------------------------------------- likeness


def is_profile_rebuild(params: Mapping[str, Any]) -> bool:
    """Whether the run builds its flows from a profile (shape ``profile``)."""
    return spec_from_params(params).shape_choices[0].kind == PROFILE_SHAPE


def skip_reason(params: Mapping[str, Any], verified: Mapping[str, Any] | None) -> str | None:
    """Why there is nothing to compare, or None: not a profile rebuild, or the environment is
    incomplete (then the report task fails the run anyway)."""
    if not is_profile_rebuild(params):
        return f"shape is {spec_from_params(params).shape!r}, not profile: no likeness check"
    if not verified or not verified.get("ok"):
        missing = (verified or {}).get("missing_count", "unknown")
        return (
            f"the environment is incomplete ({missing} missing flow(s)): nothing to compare; "
            "the report task fails the run"
        )
    return None


def likeness(
    params: Mapping[str, Any], settings: ConnectionSettings, run_id: str
) -> dict[str, Any]:
    """Crawl the planned projects, compare with the source profile, write the files beside
    the report and log the table; returns the summary (``ok``, per-distribution values)."""
    from azkaban_seeder.crawl import CrawlIncomplete, LikenessFiles, compare_options, write_likeness
    from azkaban_seeder.plan import plan_projects
    from azkaban_seeder.profile import ProfileError, load_profile

    deployment = load_settings()
    spec = spec_from_params(params)
    try:
        source = load_profile(spec.profile)
    except ProfileError as exc:
        raise AirflowFailException(f"{label('profile')}: {exc}") from None
    options = compare_options(
        source,
        {
            "max_history_flows": 0,  # a fresh test environment has no execution history
            "max_in_flight": LIKENESS_MAX_IN_FLIGHT,
            "rate": deployment.likeness_rate,
            "budget_seconds": deployment.likeness_budget_seconds,
        },
    )
    report_dir = deployment.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    files = LikenessFiles(
        json=report_files.likeness_json(report_dir, run_id),
        txt=report_files.likeness_txt(report_dir, run_id),
        png=report_files.likeness_png(report_dir, run_id),
    )
    projects = [p.name for p in plan_projects(spec)]
    logger.info(
        "likeness: crawling %d project(s) of %s at %g/s (budget %g s), comparing with %s",
        len(projects),
        settings.url,
        options.rate,
        options.budget_seconds,
        spec.profile,
    )
    try:
        written = write_likeness(source, settings, options, files, projects=projects)
    except CrawlIncomplete as exc:
        words = {"rate": LIKENESS_RATE_ENV, "budget_seconds": LIKENESS_BUDGET_ENV}
        raise AirflowFailException(_reworded(str(exc), words)) from None
    logger.info(
        "likeness of %s with %s:\n%s", spec.prefix, spec.profile, written.report.render_text()
    )
    logger.info("likeness files: %s", ", ".join(str(p) for p in written.files))
    return written.summary()


def likeness_failure(params: Mapping[str, Any], summary: Mapping[str, Any] | None) -> str | None:
    """Why a complete profile rebuild is not alike its profile (or had no verdict), or None."""
    if not is_profile_rebuild(params):
        return None
    if summary is None:
        return "likeness check gave no verdict (see the log of the likeness task)"
    if summary.get("ok"):
        return None
    metrics = summary.get("metrics", {})
    failed = [
        f"{name} {m['metric']} {m['value']:.4f} > {m['threshold']:.4f}"
        for name, m in metrics.items()
        if name in summary.get("failed", ())
    ]
    files = summary.get("files") or ["(no file)"]
    detail = ", ".join(failed) or "no distribution could be compared"
    return f"not alike its profile: {len(failed)} distribution(s) failed: {detail}; see {files[0]}"

"""What the tasks of ``azkaban_env_rebuild`` / ``azkaban_env_teardown`` do, behind Airflow.

The DAG files only declare tasks; each task body calls one function here, which turns Airflow
params into the library's validated records (`EnvSpec`, `RunOptions`), calls the library and
turns its failures into Airflow's exceptions. ``azkaban_seeder`` is imported inside the
functions, so importing this module (the dag-processor does, on every parse) stays cheap.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

if TYPE_CHECKING:
    from azkaban_seeder.azkaban import ConnectionSettings
    from azkaban_seeder.runner import ShardResult
    from azkaban_seeder.spec import EnvSpec, RunOptions

logger = logging.getLogger(__name__)

#: Params that are `EnvSpec` fields (``max_map_length`` comes from Airflow's config instead).
SPEC_PARAMS = (
    "flow_count",
    "flows_per_project",
    "projects_per_shard",
    "prefix",
    "flow_format",
    "shape",
    "seed",
    "command",
    "schedule",
)
#: Params that are `RunOptions` fields.
RUN_OPTION_PARAMS = ("processes",)
MODES = ("converge", "teardown_first")
REPORT_DIR_ENV = "AZKABAN_SEEDER_REPORT_DIR"


def _max_map_length() -> int:
    from airflow.sdk import conf

    return conf.getint("core", "max_map_length", fallback=1024)


def spec_from_params(params: Mapping[str, Any], max_map_length: int | None = None) -> EnvSpec:
    """The run's `EnvSpec`; an invalid value fails the task for good (no retry helps)."""
    from azkaban_seeder.spec import EnvSpec, SpecError

    values = {name: params.get(name) for name in SPEC_PARAMS}
    values["max_map_length"] = max_map_length or _max_map_length()
    try:
        return EnvSpec.from_mapping(values)
    except SpecError as exc:
        raise AirflowFailException(f"invalid parameter {exc}") from exc


def options_from_params(params: Mapping[str, Any]) -> RunOptions:
    """The run's `RunOptions` (worker processes per shard)."""
    from azkaban_seeder.spec import RunOptions, SpecError

    try:
        return RunOptions.from_mapping({name: params.get(name) for name in RUN_OPTION_PARAMS})
    except SpecError as exc:
        raise AirflowFailException(f"invalid parameter {exc}") from exc


def plan(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Validate every param, then the shard descriptors (names and counts, plus ``label``)."""
    from azkaban_seeder.plan import plan_shards

    spec = spec_from_params(params)
    options_from_params(params)
    mode = params.get("mode", "converge")
    if mode not in MODES:
        raise AirflowFailException(
            f"invalid parameter mode: unknown mode {mode!r}; fix: use one of {', '.join(MODES)}"
        )
    shards = plan_shards(spec)
    logger.info(
        "plan: %d flows in %d projects of prefix %s, %d shard(s)",
        spec.flow_count,
        spec.project_count,
        spec.prefix,
        len(shards),
    )
    return [{**shard.to_dict(), "label": shard.label} for shard in shards]


def prepare(params: Mapping[str, Any], settings: ConnectionSettings) -> dict[str, Any]:
    """Refuse foreign name clashes, then remove what the plan no longer holds.

    ``mode=converge``: delete only our ``{prefix}_NNNNN`` projects outside the plan;
    ``mode=teardown_first``: delete all our projects of the prefix (a clean rebuild).
    """
    from azkaban_seeder.azkaban import AzkabanClient
    from azkaban_seeder.converge import preflight, stale_projects
    from azkaban_seeder.teardown import teardown

    spec = spec_from_params(params)
    mode = params.get("mode", "converge")
    with AzkabanClient(settings) as client:
        problems = preflight(spec, client)
        if problems:
            raise AirflowFailException("preflight refused the build:\n" + "\n".join(problems))
        stale = None if mode == "teardown_first" else stale_projects(spec, client)
    if stale == []:
        logger.info("converge: nothing to remove for prefix %s", spec.prefix)
        return {"mode": mode, "deleted": [], "left_alone": [], "failed": []}
    report = teardown(spec.prefix, settings, dry_run=False, only=stale)
    logger.info("%s: deleted %d project(s)", mode, len(report.deleted))
    if not report.ok:
        raise AirflowFailException(f"{mode}: could not delete {report.failed}")
    return {"mode": mode, **report.to_dict()}


#: ``multiprocessing.process`` untyped: its private names are not in the type stubs.
_MP_PROCESS: Any = multiprocessing.process


class _MainProcessRecord(multiprocessing.process.BaseProcess):
    """What ``multiprocessing`` records for a main process (its own class is deleted after
    use in ``multiprocessing.process``): no parent, not daemonic, a fresh authkey."""

    def __init__(self) -> None:
        self._identity = ()
        self._name = "MainProcess"
        self._parent_pid = None
        self._popen = None
        self._closed = False
        self._config = {
            "authkey": _MP_PROCESS.AuthenticationString(os.urandom(32)),
            "semprefix": "/mp",
        }


@contextlib.contextmanager
def allow_child_processes() -> Iterator[None]:
    """Let a task process started by a Celery prefork worker create its Pool.

    Under ``airflow celery worker`` the task process is forked from a billiard (Celery's
    multiprocessing fork) pool process, and ``multiprocessing.current_process()`` is that
    billiard process: marked daemonic ("daemonic processes are not allowed to have
    children") and holding a billiard authkey that spawn cannot pickle ("Pickling an
    AuthenticationString object is disallowed"). Both measured here. For the duration, a plain
    main-process record stands in; the runner terminates its Pool before returning and its
    workers die with their parent, so the daemon flag's purpose (no orphans) still holds.
    """
    current = _MP_PROCESS.current_process()
    foreign = not isinstance(current, _MP_PROCESS.BaseProcess) or current.daemon
    if not foreign:
        yield
        return
    logger.info("task process runs under %s (Celery prefork); Pool allowed", type(current))
    _MP_PROCESS._current_process = _MainProcessRecord()
    try:
        yield
    finally:
        _MP_PROCESS._current_process = current


def upload_shard(
    params: Mapping[str, Any], shard: Mapping[str, Any], settings: ConnectionSettings
) -> ShardResult:
    """Build and upload one shard on a spawn Pool of ``processes`` workers."""
    from azkaban_seeder.plan import Shard
    from azkaban_seeder.runner import run_shard

    spec = spec_from_params(params)
    options = options_from_params(params)
    planned = Shard.from_dict(shard)
    logger.info(
        "shard %s: %d project(s), %d flow(s), %d process(es)",
        planned.label,
        len(planned.projects),
        planned.flow_count,
        options.processes,
    )
    with allow_child_processes():
        return run_shard(spec, planned, settings, options)


def failed_shard(shard: Mapping[str, Any], reason: str) -> ShardResult:
    """A result for a shard that ended without one (killed, crashed, never ran)."""
    from azkaban_seeder.plan import Shard
    from azkaban_seeder.runner import ProjectResult, ShardResult

    planned = Shard.from_dict(shard)
    return ShardResult(
        shard_index=planned.index,
        label=planned.label,
        projects=[ProjectResult(project=p.name, error=reason) for p in planned.projects],
        error=reason,
    )


def verify(
    params: Mapping[str, Any], shards: Sequence[Mapping[str, Any]], settings: ConnectionSettings
) -> dict[str, Any]:
    """Compare every planned project's flows with what Azkaban holds."""
    from azkaban_seeder.plan import ProjectPlan
    from azkaban_seeder.verify import verify as verify_projects

    spec = spec_from_params(params)
    projects = [ProjectPlan.from_dict(p) for shard in shards for p in shard["projects"]]
    report = verify_projects(spec, settings, projects)
    logger.info(
        "verify: ok=%s present %d of %d flows", report.ok, report.present, report.expected_flows
    )
    return report.to_dict()


def collect_shard_results(
    shards: Sequence[Mapping[str, Any]], pulled: Sequence[Any]
) -> list[dict[str, Any]]:
    """Pair each planned shard with its pushed result; shards without one become failures."""
    results = []
    for shard, result in zip(shards, pulled, strict=True):
        if isinstance(result, Mapping):
            results.append(dict(result))
        else:
            reason = "no result recorded: the task was killed (execution_timeout?) or never ran"
            results.append(failed_shard(shard, reason).to_dict())
    return results


def report_path(run_id: str, environ: Mapping[str, str] | None = None) -> Path:
    """``$AZKABAN_SEEDER_REPORT_DIR/<run id>.json`` (default ``$AIRFLOW_HOME/reports``).

    Characters other than letters, digits, ``.``, ``_`` and ``-`` in the run id (``:``,
    ``+`` of the timestamp) become ``_`` so the name is portable.
    """
    env = os.environ if environ is None else environ
    default = Path(env.get("AIRFLOW_HOME", str(Path.home() / "airflow"))) / "reports"
    directory = Path(env.get(REPORT_DIR_ENV) or default)
    return directory / (re.sub(r"[^A-Za-z0-9._-]", "_", run_id) + ".json")


def build_run_report(
    params: Mapping[str, Any],
    shard_results: Sequence[Mapping[str, Any]],
    verify_report: Mapping[str, Any] | None,
    seconds: float,
    run_id: str,
) -> dict[str, Any]:
    """The run report, written as JSON to `report_path` (path recorded in the report)."""
    from azkaban_seeder.report import build_report, format_summary

    spec = spec_from_params(params)
    report = build_report(spec, shard_results, verify_report, seconds)
    path = report_path(run_id)
    report["run_id"] = run_id
    report["report_path"] = str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True))
    logger.info("report written to %s\n%s", path, format_summary(report))
    return report


def teardown_prefix(prefix: str, dry_run: bool, settings: ConnectionSettings) -> dict[str, Any]:
    """Delete (or with ``dry_run`` list) our projects of ``prefix``."""
    from azkaban_seeder.spec import EnvSpec, SpecError
    from azkaban_seeder.teardown import teardown

    try:
        EnvSpec(prefix=prefix)
    except SpecError as exc:
        raise AirflowFailException(f"invalid parameter {exc}") from exc
    report = teardown(prefix, settings, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    logger.info(
        "teardown %s: %s %d project(s) %s; left alone %d",
        prefix,
        verb,
        len(report.deleted),
        report.deleted[:20],
        len(report.left_alone),
    )
    if not report.ok:
        raise AirflowFailException(f"teardown of {prefix}: deletes failed: {report.failed}")
    return report.to_dict()

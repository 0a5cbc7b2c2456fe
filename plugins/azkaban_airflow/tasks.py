"""What the tasks of the rebuild DAGs and ``azkaban_env_teardown`` do, behind Airflow.

The DAG factory (`azkaban_airflow.dag_factory`) only declares tasks; each task body calls one
function here, which turns Airflow params into the library's validated records (`EnvSpec`,
`RunOptions`), calls the library and turns its failures into Airflow's exceptions.
``azkaban_seeder`` is imported inside the functions (beyond the stdlib-only field table), so
importing this module (the dag-processor does, on every parse) stays cheap.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow.sdk.exceptions import AirflowFailException

from azkaban_airflow import report_files
from azkaban_airflow.params import CONFIRM_PREFIX, check_values, label, refusal
from azkaban_seeder.spec import ENV_FIELDS, MODE_FIELD, RUN_FIELDS

if TYPE_CHECKING:
    from azkaban_seeder.azkaban import ConnectionSettings
    from azkaban_seeder.runner import ShardResult
    from azkaban_seeder.spec import EnvSpec, RunOptions

logger = logging.getLogger(__name__)

#: Params that are `EnvSpec` / `RunOptions` fields: the form fields of the spec's table
#: (``max_map_length`` comes from Airflow's config, ``parallel_shards`` from the deployment's
#: parallel-shard cap).
SPEC_PARAMS = tuple(name for name, field in ENV_FIELDS.items() if field.form)
RUN_OPTION_PARAMS = tuple(name for name, field in RUN_FIELDS.items() if field.form)
MODES = MODE_FIELD.choices
#: XCom key of the run report. Not ``return_value``: the report task stores the report first,
#: then fails when the run is incomplete, and a failed run must still show its report.
REPORT_XCOM_KEY = "report"
#: Scheme of the Asset a successful rebuild updates: ``azkaban://<host>:<port>/<prefix>``.
ASSET_SCHEME = "azkaban"


def _max_map_length() -> int:
    from airflow.sdk import conf

    return conf.getint("core", "max_map_length", fallback=1024)


def spec_from_params(params: Mapping[str, Any], max_map_length: int | None = None) -> EnvSpec:
    """The run's `EnvSpec`; an invalid value fails the task for good (no retry helps)."""
    from azkaban_airflow.settings import load_settings
    from azkaban_seeder.spec import EnvSpec, SpecError

    values = {name: params.get(name) for name in SPEC_PARAMS}
    values["max_map_length"] = max_map_length or _max_map_length()
    # Auto shard sizing makes one shard per slot of the DAG's parallel-shard cap.
    values["parallel_shards"] = load_settings().max_parallel_shards
    try:
        return EnvSpec.from_mapping(values)
    except SpecError as exc:
        raise AirflowFailException(f"invalid parameter {refusal(exc)}") from exc


def options_from_params(params: Mapping[str, Any]) -> RunOptions:
    """The run's `RunOptions` (worker processes per shard)."""
    from azkaban_seeder.spec import RunOptions, SpecError

    try:
        return RunOptions.from_mapping({name: params.get(name) for name in RUN_OPTION_PARAMS})
    except SpecError as exc:
        raise AirflowFailException(f"invalid parameter {refusal(exc)}") from exc


def plan(
    params: Mapping[str, Any], known: frozenset[str] | set[str] | None = None
) -> list[dict[str, Any]]:
    """Check every param (the form's rules again, plus the ones that span fields), then the
    shard descriptors (names and counts, plus ``label``).

    Refuses what the form let through: values the schema cannot judge (``chain:0``, an unknown
    ``{placeholder}``, too many shards) and names that are no param of the DAG (``known``,
    e.g. a typo in the trigger's JSON conf). Each refusal names the form label and the fix."""
    from azkaban_seeder.plan import plan_shards

    try:
        check_values(
            params,
            max_map_length=_max_map_length(),
            known=frozenset(known) if known is not None else None,
        )
    except ValueError as exc:
        raise AirflowFailException(
            f"the params were refused, nothing was written to Azkaban:\n{exc}"
        ) from None
    spec = spec_from_params(params)
    if spec.profile:
        check_profile_file(spec.profile)
    shards = plan_shards(spec)
    logger.info(
        "plan: %d flows in %d projects of prefix %s, %d shard(s)",
        spec.flow_count,
        spec.project_count,
        spec.prefix,
        len(shards),
    )
    # Ranges, not project lists: the XCom stays a few hundred bytes per shard at any size.
    return [shard.to_ref() for shard in shards]


def check_profile_file(path: str) -> None:
    """Read and check the profile file here, on a worker, before anything is written: a path
    the workers cannot read, or a bad file, fails the plan instead of every shard."""
    from azkaban_seeder.profile import ProfileError, load_profile

    try:
        load_profile(path)
    except ProfileError as exc:
        raise AirflowFailException(
            f"the params were refused, nothing was written to Azkaban:\n{label('profile')}: {exc}"
        ) from None


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
    planned = Shard.from_ref(shard, spec)
    # The runner logs the shard's header line (projects, flows, processes requested/used).
    with allow_child_processes():
        return run_shard(spec, planned, settings, options)


def failed_shard(params: Mapping[str, Any], shard: Mapping[str, Any], reason: str) -> ShardResult:
    """A result for a shard that ended without one (killed, crashed, never ran)."""
    from azkaban_seeder.plan import Shard
    from azkaban_seeder.runner import ProjectResult, ShardResult

    planned = Shard.from_ref(shard, spec_from_params(params))
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
    from azkaban_seeder.plan import Shard
    from azkaban_seeder.verify import verify as verify_projects

    spec = spec_from_params(params)
    projects = [p for shard in shards for p in Shard.from_ref(shard, spec).projects]
    report = verify_projects(spec, settings, projects)
    logger.info(
        "verify: ok=%s present %d of %d flows", report.ok, report.present, report.expected_flows
    )
    return report.to_dict()


def collect_shard_results(
    params: Mapping[str, Any], shards: Sequence[Mapping[str, Any]], pulled: Sequence[Any]
) -> list[dict[str, Any]]:
    """Pair each planned shard with its pushed result; shards without one become failures."""
    results = []
    for shard, result in zip(shards, pulled, strict=True):
        if isinstance(result, Mapping):
            results.append(dict(result))
        else:
            reason = "no result recorded: the task was killed (execution_timeout?) or never ran"
            results.append(failed_shard(params, shard, reason).to_dict())
    return results


def report_path(run_id: str, environ: Mapping[str, str] | None = None) -> Path:
    """``$AZKABAN_SEEDER_REPORT_DIR/<run id>.json`` (default ``$AIRFLOW_HOME/reports``);
    see `report_files.report_file` for the name."""
    from azkaban_airflow.settings import load_settings

    return report_files.report_file(load_settings(environ).report_dir, run_id)


def build_run_report(
    params: Mapping[str, Any],
    shard_results: Sequence[Mapping[str, Any]],
    verify_report: Mapping[str, Any] | None,
    seconds: float,
    run_id: str,
) -> dict[str, Any]:
    """The run report, written as JSON to `report_path`; returns its JSON form (for XCom)."""
    from azkaban_seeder.report import build_report, format_summary, write_report

    spec = spec_from_params(params)
    path = report_path(run_id)
    report = build_report(
        spec, shard_results, verify_report, seconds, run_id=run_id, report_path=str(path)
    )
    write_report(report, path)
    logger.info("report written to %s\n%s", path, format_summary(report))
    return report.to_dict()


def report_failure(
    report: Mapping[str, Any], verify_report: Mapping[str, Any] | None
) -> str | None:
    """Why the run is incomplete (a failed project or a missing flow), or None when it is ok."""
    if report["ok"]:
        return None
    failures = report["failures"]
    missing = (verify_report or {}).get("missing_count", "unknown")
    return (
        f"rebuild incomplete: {len(failures)} failed project(s), {missing} missing flow(s); "
        f"first failure: {failures[0] if failures else 'none (verify mismatch)'}; "
        f"report {report['report_path']}"
    )


def asset_uri(azkaban_url: str, prefix: str) -> str:
    """The Asset of one environment: ``azkaban://<host>:<port>/<prefix>``.

    The port is always written (80/443 when the URL has none), the host lower-cased and no
    user or password kept, so every rebuild of the same Azkaban and prefix names the same
    Asset whichever way its Connection spells the URL."""
    parts = urlsplit(azkaban_url)
    host = (parts.hostname or "").lower()
    if not host:
        raise AirflowFailException(f"no host in the Azkaban URL {azkaban_url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{ASSET_SCHEME}://{host}:{port}/{prefix}"


#: How many project names one teardown log line lists before "...".
NAMES_LOGGED = 20


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:NAMES_LOGGED])
    more = len(names) - NAMES_LOGGED
    return shown + (f" ... and {more} more" if more > 0 else "") if names else "-"


def check_teardown(prefix: Any, confirm_prefix: Any, dry_run: bool) -> str:
    """The prefix, checked like the rebuild's; a real delete also needs ``confirm_prefix``
    equal to it, otherwise refuse naming the fix. Returns the prefix."""
    from azkaban_seeder.spec import SpecError

    try:
        checked = str(ENV_FIELDS["prefix"].coerce(prefix if prefix is not None else ""))
    except SpecError as exc:
        raise AirflowFailException(f"invalid parameter {refusal(exc)}") from exc
    confirmed = confirm_prefix or ""
    if not dry_run and confirmed != checked:
        raise AirflowFailException(
            f"refused to delete the projects of {checked!r}: {label(CONFIRM_PREFIX)} is "
            f"{confirmed!r}, not the prefix; fix: type {checked} in Confirm prefix "
            "(confirm_prefix), or leave Dry run (dry_run) on to only list what would go"
        )
    return checked


def teardown_prefix(
    prefix: str, dry_run: bool, settings: ConnectionSettings, confirm_prefix: str | None = None
) -> dict[str, Any]:
    """Delete (or with ``dry_run`` list) our projects of ``prefix``.

    A real delete needs ``confirm_prefix == prefix`` (see `check_teardown`). The result names
    what happened: ``would_delete`` in a dry run, ``deleted`` otherwise; ``left_alone`` lists
    every project of the prefix that was not touched, with the reason."""
    from azkaban_seeder.teardown import teardown

    prefix = check_teardown(prefix, confirm_prefix, dry_run)
    report = teardown(prefix, settings, dry_run=dry_run)
    result = report.to_dict()
    names = result.pop("deleted")
    result["would_delete" if dry_run else "deleted"] = names
    if dry_run:
        logger.info(
            "teardown %s (dry run, nothing deleted): would delete %d project(s): %s",
            prefix,
            len(names),
            _names(names),
        )
    else:
        logger.info("teardown %s: deleted %d project(s): %s", prefix, len(names), _names(names))
    for name, reason in report.left_alone[:NAMES_LOGGED]:
        logger.info("teardown %s: left %s alone: %s", prefix, name, reason)
    if len(report.left_alone) > NAMES_LOGGED:
        more = len(report.left_alone) - NAMES_LOGGED
        logger.info("teardown %s: left %d more alone (see the XCom left_alone)", prefix, more)
    if not report.ok:
        raise AirflowFailException(f"teardown of {prefix}: deletes failed: {report.failed}")
    return result

"""One rebuild definition, several DAGs: the DAG files in ``dags/`` only call this module.

`build_rebuild_dag` turns a `RebuildVariant` (id, schedule, Params, docs) into the task graph
every rebuild shares::

    plan -> prepare -> upload_shard (mapped, one per shard) -> verify -> likeness -> [checks]
         -> report

``likeness`` skips unless the run's shape is ``profile``; then it crawls the built projects,
compares them with the profile and writes the likeness files beside the report, and the
report task fails the run (after writing the report, without an Asset event) if they are not
alike (`azkaban_airflow.profile_tasks`).

- `on_demand` is ``azkaban_env_rebuild``: no schedule, the Params form, created unpaused (with
  no schedule, "unpaused" only lets manual runs start);
- `nightly` is ``azkaban_env_nightly``: a cron schedule and fixed params from the deployment
  (`settings.load_nightly_settings`), created paused, no catchup, one run at a time.

Both run the same task code and share no state: triggering one never starts, unpauses or
schedules the other (nothing here triggers a DAG or touches pause flags).

Extending it (e.g. a smoke test of the built environment): make a `RebuildVariant` with more
Params and ``checks``; each check is a callable that creates its task(s) inside the DAG and
returns the last one, which runs after ``likeness`` and before ``report`` (``report`` pulls
nothing from it by itself: write its output beside the report JSON, see `report_files`, and the
report page shows it). ``extra_params`` are names the plan task accepts on top of the form's
fields.

`build_teardown_dag` is ``azkaban_env_teardown``; `build_profile_dag` is ``azkaban_env_profile``
(manual only: profile a production Azkaban read-only into a file, on its own Connection).
Everything here runs at parse time: no I/O, no Connection or Variable lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, CronTriggerTimetable, Param, TriggerRule, task

from azkaban_airflow import profile_tasks, tasks
from azkaban_airflow.hooks import AzkabanHook
from azkaban_airflow.operators import (
    PLAN_TASK_ID,
    UPLOAD_TASK_ID,
    VERIFY_TASK_ID,
    AzkabanReportOperator,
    AzkabanShardOperator,
    planned_shards,
)
from azkaban_airflow.params import (
    CONFIRM_PREFIX,
    DRY_RUN,
    fixed_params,
    profile_params,
    rebuild_params,
)
from azkaban_airflow.params import teardown_params as _teardown_params
from azkaban_airflow.settings import DeploymentSettings, NightlySettings

ON_DEMAND_DAG_ID = "azkaban_env_rebuild"
NIGHTLY_DAG_ID = "azkaban_env_nightly"
TEARDOWN_DAG_ID = "azkaban_env_teardown"
PROFILE_DAG_ID = "azkaban_env_profile"
TAGS = ("azkaban",)

#: Builds a task (or a chain ending in one) inside the DAG being built; returns the last task.
Check = Callable[[DeploymentSettings], Any]

_GRAPH_DOC = """
`plan` -> `prepare` -> `upload_shard` (one mapped instance per shard) -> `verify` ->
`likeness` -> `report`.

* **plan** checks the params (a bad value fails here, naming the form field and the fix,
  before anything touches Azkaban) and splits the flows into shards.
* **prepare** refuses to touch projects that are not ours, then removes our projects of the
  prefix that the plan no longer holds (`mode=converge`), or all of them (`mode=teardown_first`).
* **upload_shard** builds and uploads one shard on a pool of `processes` worker processes.
  A failed shard can be cleared and re-run alone; its *Azkaban project* link opens the shard's
  first project.
* **verify** compares every planned project with Azkaban (runs after every shard was tried).
* **likeness** (shape `profile` only, otherwise skipped) crawls the built projects read-only,
  compares them with the profile and writes `<run id>.likeness.json|txt|png` beside the
  report; it fails, and so does the run, when they are not alike.
* **report** writes the JSON report (XCom `report`, `$AZKABAN_SEEDER_REPORT_DIR/<run id>.json`),
  links to the report page (*Run report*, on the task's Details tab), fails the run if a
  shard failed, a flow is missing or the likeness check failed, and otherwise updates the Asset
  `azkaban://<host>:<port>/<prefix>` (alias `azkaban_env_rebuilt`).

Load on Azkaban is bounded: at most PARALLEL shards at once per run (one run at a time),
each with `processes` workers.
"""


def _graph_doc(settings: DeploymentSettings) -> str:
    return _GRAPH_DOC.replace("PARALLEL", str(settings.max_parallel_shards))


@dataclass(frozen=True)
class RebuildVariant:
    """What differs between rebuild DAGs; the tasks are the same for all."""

    dag_id: str
    description: str
    doc_md: str
    params: Mapping[str, Param]
    schedule: CronTriggerTimetable | None = None
    paused_on_creation: bool = False
    tags: tuple[str, ...] = TAGS
    checks: tuple[Check, ...] = ()
    extra_params: frozenset[str] = field(default_factory=frozenset)


def on_demand(settings: DeploymentSettings) -> RebuildVariant:
    """``azkaban_env_rebuild``: manual only, every value from the Trigger form."""
    doc = (
        "### Rebuild an Azkaban test environment (on demand)\n\n"
        "Trigger it with the form; it has no schedule and starts nothing else (the nightly "
        f"rebuild is `{NIGHTLY_DAG_ID}`).\n" + _graph_doc(settings)
    )
    return RebuildVariant(
        dag_id=ON_DEMAND_DAG_ID,
        description="Rebuild an Azkaban test environment now, from the form's values",
        doc_md=doc,
        params=rebuild_params(settings.max_parallel_shards),
    )


def _values_table(values: Mapping[str, Any]) -> str:
    rows = "\n".join(f"| `{name}` | `{value}` |" for name, value in values.items())
    return f"| param | value |\n|---|---|\n{rows}\n"


def nightly(settings: DeploymentSettings, night: NightlySettings) -> RebuildVariant:
    """``azkaban_env_nightly``: on a cron schedule (UTC) with the deployment's fixed params."""
    doc = (
        "### Rebuild an Azkaban test environment (nightly)\n\n"
        f"Runs at `{night.cron}` (UTC) once unpaused (it is created paused). Its params are "
        "the deployment's (`AZKABAN_SEEDER_NIGHTLY_CONF`; the form offers only those "
        f"values); for other values trigger `{ON_DEMAND_DAG_ID}`. A backfill only repeats "
        "the same rebuild: the runs carry no date.\n\n"
        f"{_values_table(night.params)}" + _graph_doc(settings)
    )
    return RebuildVariant(
        dag_id=NIGHTLY_DAG_ID,
        description=f"Rebuild the Azkaban test environment at {night.cron} UTC (deployment params)",
        doc_md=doc,
        params=fixed_params(night.params, settings.max_parallel_shards),
        # run_immediately=False is not "never": Airflow 3.3 still runs the last tick when it
        # is within max(a tenth of the cron's period, 5 min), so unpausing a 02:00 nightly
        # before 04:24 started a rebuild at once. A zero buffer means: first run = next tick.
        schedule=CronTriggerTimetable(night.cron, timezone="UTC", run_immediately=timedelta(0)),
        paused_on_creation=True,
    )


# --------------------------------------------------------------------------- shared tasks


@task(task_id=PLAN_TASK_ID, multiple_outputs=False)
def _plan(extra_params: list[str], **context: Any) -> list[dict[str, Any]]:
    known = set(context["dag"].params) | set(extra_params)
    return tasks.plan(context["params"], known=known)


@task(task_id="prepare", multiple_outputs=False)
def _prepare(azkaban_conn_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return tasks.prepare(params or {}, AzkabanHook(azkaban_conn_id).get_settings())


@task(task_id=VERIFY_TASK_ID, trigger_rule=TriggerRule.ALL_DONE, multiple_outputs=False)
def _verify(azkaban_conn_id: str, **context: Any) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowSkipException

    shards = planned_shards(context["ti"])
    if shards is None:
        raise AirflowSkipException("nothing to verify: the plan task failed")
    settings = AzkabanHook(azkaban_conn_id).get_settings()
    return tasks.verify(context["params"], shards, settings)


@task(task_id=profile_tasks.LIKENESS_TASK_ID, multiple_outputs=False)
def _likeness(azkaban_conn_id: str, **context: Any) -> None:
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    params, ti = context["params"], context["ti"]
    reason = profile_tasks.skip_reason(params, ti.xcom_pull(task_ids=VERIFY_TASK_ID))
    if reason:
        raise AirflowSkipException(reason)
    settings = AzkabanHook(azkaban_conn_id).get_settings()
    summary = profile_tasks.likeness(params, settings, context["dag_run"].run_id)
    # Stored first, like the report: a run that is not alike still shows its verdict.
    ti.xcom_push(profile_tasks.LIKENESS_XCOM_KEY, summary)
    problem = profile_tasks.likeness_failure(params, summary)
    if problem:
        raise AirflowFailException(problem)


def build_rebuild_dag(variant: RebuildVariant, settings: DeploymentSettings) -> DAG:
    """The rebuild DAG of ``variant``; assign it to a module-level name in a DAG file."""
    with DAG(
        dag_id=variant.dag_id,
        description=variant.description,
        schedule=variant.schedule,
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=variant.paused_on_creation,
        params=dict(variant.params),
        default_args={"retries": 0},
        tags=list(variant.tags),
        doc_md=variant.doc_md,
    ) as dag:
        shards = _plan(extra_params=sorted(variant.extra_params))
        prepared = _prepare(azkaban_conn_id=settings.conn_id)
        uploads = AzkabanShardOperator.partial(
            task_id=UPLOAD_TASK_ID,
            azkaban_conn_id=settings.conn_id,
            map_index_template="{{ task.shard['label'] }}",
            max_active_tis_per_dagrun=settings.max_parallel_shards,
            execution_timeout=settings.shard_timeout,
            pool=settings.pool,
            retries=0,
        ).expand(shard=shards)
        verified = _verify(azkaban_conn_id=settings.conn_id)
        alike = _likeness(azkaban_conn_id=settings.conn_id)
        reported = AzkabanReportOperator(
            task_id="report",
            azkaban_conn_id=settings.conn_id,
            trigger_rule=TriggerRule.ALL_DONE,
        )
        shards >> prepared >> uploads >> verified >> alike
        last = alike
        for check in variant.checks:
            step = check(settings)
            last >> step
            last = step
        last >> reported
    return dag


# --------------------------------------------------------------------------- teardown

_TEARDOWN_DOC = """
### Tear down an Azkaban test environment

Manual only. Deletes the projects named `<prefix>_NNNNN` that azkaban-seeder built (ownership
is checked project by project; anything else is left alone and listed with the reason).

* **Project prefix** has no default: type it.
* **Dry run** (default on) only lists what would be deleted: the task log and the XCom key
  `would_delete`.
* A real delete needs Dry run off **and** *Confirm prefix* equal to the prefix; otherwise the
  run is refused, naming the fix.
"""


@task(task_id="teardown", multiple_outputs=False)
def _teardown(azkaban_conn_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    values = params or {}
    dry_run = bool(values.get(DRY_RUN, True))
    confirm = values.get(CONFIRM_PREFIX)
    # Refuse before the Connection is even read.
    prefix = tasks.check_teardown(values.get("prefix"), confirm, dry_run)
    settings = AzkabanHook(azkaban_conn_id).get_settings()
    return tasks.teardown_prefix(prefix, dry_run, settings, confirm_prefix=confirm)


def _manual_dag(dag_id: str, description: str, params: Mapping[str, Param], doc_md: str) -> DAG:
    """A manual-only DAG (no schedule, created unpaused, one run at a time, no retries: a retry
    would delete or crawl again from the start)."""
    return DAG(
        dag_id=dag_id,
        description=description,
        schedule=None,
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=False,
        params=dict(params),
        default_args={"retries": 0},
        tags=list(TAGS),
        doc_md=doc_md,
    )


def build_teardown_dag(settings: DeploymentSettings) -> DAG:
    """``azkaban_env_teardown``; assign it to a module-level name in a DAG file."""
    with _manual_dag(
        TEARDOWN_DAG_ID,
        "Delete the Azkaban projects of a prefix that azkaban-seeder built",
        _teardown_params(),
        _TEARDOWN_DOC,
    ) as dag:
        _teardown(azkaban_conn_id=settings.conn_id)
    return dag


# --------------------------------------------------------------------------- profile

_PROFILE_DOC = """
### Profile a production Azkaban (read-only)

Manual only. Crawls the Azkaban of the Connection `CONN` with the read-only client (only
whitelisted GETs and the login; give it a READ-only account), builds a profile of
distributions (no project, flow or job name, no command) and writes it to **Profile file to
write** (`out`), by default `<report dir>/profiles/<run id>.json`. Rebuild from it with
`azkaban_env_rebuild`, shape `profile`, Profile file = that path (it must be readable by every
worker).

* **Sampling**: the execution history window, executions per flow, how many flows' history is
  read (a seeded sample).
* **Gentleness**: requests in flight, requests per second and the crawl's time budget. Progress
  and an ETA are logged every few seconds.

A crawl that does not fetch everything it planned (budget ran out, login refused, garbage
replies) fails the task naming the fix, and writes nothing.
"""


@task(task_id="profile", multiple_outputs=False)
def _profile(azkaban_conn_id: str, **context: Any) -> dict[str, Any]:
    from azkaban_airflow.settings import load_settings

    # The form first: a refused value fails before the Connection is even read.
    values = profile_tasks.check_profile_params(context["params"], known=set(context["dag"].params))
    settings = AzkabanHook(azkaban_conn_id).get_settings()
    run_id = context["dag_run"].run_id
    return profile_tasks.profile_production(values, settings, run_id, load_settings().report_dir)


def build_profile_dag(settings: DeploymentSettings) -> DAG:
    """``azkaban_env_profile``; assign it to a module-level name in a DAG file."""
    with _manual_dag(
        PROFILE_DAG_ID,
        "Profile a production Azkaban read-only into a profile file",
        profile_params(),
        _PROFILE_DOC.replace("CONN", settings.profile_conn_id),
    ) as dag:
        _profile(azkaban_conn_id=settings.profile_conn_id)
    return dag

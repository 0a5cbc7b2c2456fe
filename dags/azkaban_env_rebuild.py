"""
### Rebuild an Azkaban test environment

`plan` -> `prepare` -> `upload_shard` (one mapped instance per shard) -> `verify` -> `report`.

* **plan** validates the params (a bad value fails here, before anything touches Azkaban) and
  splits the flows into shards of `projects_per_shard` projects.
* **prepare** refuses to touch projects that are not ours, then removes our projects of the
  prefix that the plan no longer holds (`mode=converge`), or all of them
  (`mode=teardown_first`).
* **upload_shard** builds and uploads one shard on a pool of `processes` worker processes.
  A failed shard can be cleared and re-run alone; its *Azkaban project* link opens the shard's
  first project.
* **verify** compares every planned project with Azkaban (runs after every shard was tried).
* **report** writes the JSON report (XCom and `$AZKABAN_SEEDER_REPORT_DIR/<run id>.json`)
  and fails the run if a shard failed or a flow is missing.

Load on Azkaban is bounded: at most `MAX_PARALLEL_SHARDS` shards run at once per run (and one
run at a time), each with `processes` workers, so at most `MAX_PARALLEL_SHARDS x processes`
concurrent uploads. Nightly at 02:00 UTC with the defaults below (10,000 single-job flows).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, CronTriggerTimetable, Param, TriggerRule, task

from azkaban_airflow.operators import SHARD_RESULT_KEY, AzkabanShardOperator
from azkaban_airflow.params import prefix_param

DAG_ID = "azkaban_env_rebuild"
#: Shards of one run uploading at the same time (``max_active_tis_per_dagrun``).
MAX_PARALLEL_SHARDS = 4
#: Deployment settings read from the environment (no Variable/Connection lookups at parse
#: time): a hard bound per shard task, and an optional Airflow pool shared with other DAGs.
SHARD_TIMEOUT = timedelta(seconds=int(os.environ.get("AZKABAN_SEEDER_SHARD_TIMEOUT", "3600")))
AIRFLOW_POOL = os.environ.get("AZKABAN_SEEDER_POOL") or "default_pool"

SIZE, CONTENT, RUN = "Size and sharding", "Flow content", "Run"

PARAMS: dict[str, Param] = {
    "flow_count": Param(
        10_000,
        type="integer",
        minimum=1,
        maximum=1_000_000,
        title="Flows",
        description="Total number of flows to build.",
        section=SIZE,
    ),
    "flows_per_project": Param(
        100,
        type="integer",
        minimum=1,
        maximum=5_000,
        title="Flows per project",
        description="Flows in each Azkaban project (the last project may hold fewer).",
        section=SIZE,
    ),
    "projects_per_shard": Param(
        10,
        type="integer",
        minimum=1,
        maximum=1_000,
        title="Projects per shard",
        description="Projects uploaded by one mapped task instance. Shards must not exceed "
        "Airflow's [core] max_map_length.",
        section=SIZE,
    ),
    "prefix": prefix_param("Projects are named <prefix>_00000, <prefix>_00001, ...", section=SIZE),
    "flow_format": Param(
        "1.0",
        type="string",
        enum=["1.0", "2.0"],
        title="Flow format",
        description="1.0: .job files; 2.0: .flow YAML files.",
        section=CONTENT,
    ),
    "shape": Param(
        "single",
        type="string",
        minLength=1,
        examples=["single", "chain:3", "fanout:4", "random", "mix"],
        title="Flow shape",
        description="single | chain:N | fanout:W (N, W in 1..100) | random | mix | "
        "mix:single=5,chain:3=2,...",
        section=CONTENT,
    ),
    "seed": Param(
        0,
        type="integer",
        minimum=0,
        # JSON numbers in the browser are exact only up to 2**53 - 1.
        maximum=2**53 - 1,
        title="Seed",
        description="Seed for random shapes and mixes: the same seed builds the same flows.",
        section=CONTENT,
    ),
    "command": Param(
        "echo {project} {flow} {job}",
        type="string",
        minLength=1,
        maxLength=4_096,
        title="Job command",
        description="Command of every job; placeholders {project} {flow} {job} {index}.",
        section=CONTENT,
    ),
    "schedule": Param(
        "off",
        type="string",
        pattern="^(off|[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2})$",
        examples=["off", "00:00-06:00"],
        title="Flow schedules",
        description='"off", or a daily window "HH:MM-HH:MM" in which every flow gets a cron '
        "schedule.",
        section=CONTENT,
    ),
    "processes": Param(
        4,
        type="integer",
        minimum=1,
        maximum=64,
        title="Worker processes per shard",
        description=f"Pool size of each upload_shard task; up to {MAX_PARALLEL_SHARDS} shards "
        "run at once, so Azkaban sees at most that many times this value of parallel uploads.",
        section=RUN,
    ),
    "mode": Param(
        "converge",
        type="string",
        enum=["converge", "teardown_first"],
        title="Mode",
        description="converge: remove only our projects the plan no longer holds; "
        "teardown_first: delete all our projects of the prefix first.",
        section=RUN,
    ),
}


def _settings() -> Any:
    from azkaban_airflow.hooks import AzkabanHook

    return AzkabanHook().get_settings()


@task(task_id="plan")
def plan_shards(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    from azkaban_airflow import tasks as azkaban_rebuild

    return azkaban_rebuild.plan(params or {})


@task(task_id="prepare")
def prepare(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from azkaban_airflow import tasks as azkaban_rebuild

    return azkaban_rebuild.prepare(params or {}, _settings())


def _planned_shards(ti: Any) -> list[dict[str, Any]] | None:
    """The plan's shards, pulled rather than passed: after a failed plan there are none."""
    shards = ti.xcom_pull(task_ids="plan")
    return list(shards) if shards else None


@task(task_id="verify", trigger_rule=TriggerRule.ALL_DONE)
def verify(**context: Any) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowSkipException

    from azkaban_airflow import tasks as azkaban_rebuild

    shards = _planned_shards(context["ti"])
    if shards is None:
        raise AirflowSkipException("nothing to verify: the plan task failed")
    return azkaban_rebuild.verify(context["params"], shards, _settings())


@task(task_id="report", trigger_rule=TriggerRule.ALL_DONE)
def report(**context: Any) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException

    from azkaban_airflow import tasks as azkaban_rebuild

    ti, dag_run = context["ti"], context["dag_run"]
    shards = _planned_shards(ti)
    if shards is None:
        # Fail rather than skip: report is the leaf that decides the run's state.
        raise AirflowFailException("no report: the plan task failed (see its log)")
    pulled = ti.xcom_pull(
        task_ids="upload_shard", key=SHARD_RESULT_KEY, map_indexes=range(len(shards))
    )
    results = azkaban_rebuild.collect_shard_results(shards, pulled)
    verified = ti.xcom_pull(task_ids="verify")
    started = dag_run.start_date or datetime.now(UTC)
    seconds = (datetime.now(UTC) - started).total_seconds()
    built = azkaban_rebuild.build_run_report(
        context["params"], results, verified, seconds, dag_run.run_id
    )
    # Keep the report as the return value even though the task may fail just below.
    ti.xcom_push("return_value", built)
    if not built["ok"]:
        failures = built["failures"]
        missing = (verified or {}).get("missing_count", "unknown")
        raise AirflowFailException(
            f"rebuild incomplete: {len(failures)} failed project(s), {missing} missing flow(s); "
            f"first failure: {failures[0] if failures else 'none (verify mismatch)'}; "
            f"report {built['report_path']}"
        )
    return built


with DAG(
    dag_id=DAG_ID,
    description="Rebuild an Azkaban test environment (plan, converge, upload, verify, report)",
    schedule=CronTriggerTimetable("0 2 * * *", timezone="UTC"),
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    default_args={"retries": 0},
    tags=["azkaban"],
    doc_md=__doc__,
) as dag:
    shards = plan_shards()
    prepared = prepare()
    uploads = AzkabanShardOperator.partial(
        task_id="upload_shard",
        map_index_template="{{ task.shard['label'] }}",
        max_active_tis_per_dagrun=MAX_PARALLEL_SHARDS,
        execution_timeout=SHARD_TIMEOUT,
        pool=AIRFLOW_POOL,
        retries=0,
    ).expand(shard=shards)
    verified = verify()
    reported = report()

    shards >> prepared >> uploads >> verified >> reported

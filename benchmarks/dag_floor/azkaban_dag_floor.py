"""The DAG overhead floor: the rebuild DAG's task graph with tasks that do nothing.

``plan`` returns ``shards`` descriptors (run conf), each mapped ``upload_shard`` instance returns
at once, and the chain ends like the rebuild's: verify -> likeness -> report. The time one run of
it takes on a stack is what Airflow itself costs for that shape; `bench_dag_path.py` compares
the rebuild's run with it. Lives outside ``dags/``: only the benchmark puts it in a DAG folder.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, Param, task

FLOOR_DAG_ID = "azkaban_dag_floor"


@task(multiple_outputs=False)
def plan(**context: Any) -> list[int]:
    return list(range(int(context["params"]["shards"])))


@task(multiple_outputs=False)
def nothing() -> None:
    return None


@task(multiple_outputs=False)
def upload_shard(shard: int) -> int:
    return shard


with DAG(
    dag_id=FLOOR_DAG_ID,
    schedule=None,
    catchup=False,
    max_active_runs=1,
    params={"shards": Param(4, type="integer", minimum=1), "cap": Param(4, type="integer")},
    tags=["benchmark"],
):
    shards = plan()
    prepared = nothing.override(task_id="prepare")()
    # The rebuild caps its shards per run with the deployment setting; the benchmark runs
    # both with the same cap (AZKABAN_SEEDER_MAX_PARALLEL_SHARDS, default 4).
    uploads = upload_shard.override(max_active_tis_per_dagrun=4).expand(shard=shards)
    verified = nothing.override(task_id="verify")()
    alike = nothing.override(task_id="likeness")()
    reported = nothing.override(task_id="report")()
    shards >> prepared >> uploads >> verified >> alike >> reported

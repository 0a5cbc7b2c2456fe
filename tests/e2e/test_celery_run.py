"""Distributed mode natively: CeleryExecutor, PostgreSQL, Redis and two ``airflow celery worker``.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on 127.0.0.1:6379;
skipped when either is missing. Each run gets a fresh database and Redis db number 11.

The two workers (`local_celery_workers`) are ``celery@worker-1`` and ``celery@worker-2``; their
task instances record the hostnames ``127.0.0.1`` and ``127.0.0.2``, and only worker-1 serves
logs (the api-server reaches it at either address). Eight shards on 2 x 2 slots: both workers
must run some, and Azkaban must hold exactly the plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import (
    DAGS,
    PLUGINS,
    api_task_log,
    celery_environment,
    celery_hosts,
    connection_env,
    planned,
    projects_on_server,
)

from azkaban_devstack import EmbeddedAirflow, distributed
from azkaban_devstack.stack import local_celery_workers
from azkaban_sandbox.server import SandboxServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

DAG_ID = "azkaban_env_rebuild"
SHARD_TASK = "upload_shard"
REDIS_DB = 11
#: Two workers of two slots each; four shards at a time fill both.
WORKERS = local_celery_workers(2, concurrency=2)
PARALLEL_SHARDS = 4
#: 8 shards of 2 projects of 100 flows: 1,600 flows, two waves of four shards.
CONF = {
    "flow_count": 1600,
    "flows_per_project": 100,
    "projects_per_shard": 2,
    "processes": 2,
    "prefix": "celery",
}
SHARDS = 8


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    if not distributed.services_up():
        pytest.skip("PostgreSQL on :5432 and Redis on :6379 are needed")
    with distributed.fresh_database("e2e") as name:
        yield name


@pytest.fixture(scope="module")
def redis_db() -> str:
    return distributed.flushed_redis(REDIS_DB)


@pytest.fixture(scope="module")
def celery_stack(
    database: str,
    redis_db: str,
    e2e_sandbox: SandboxServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EmbeddedAirflow]:
    home = tmp_path_factory.mktemp("airflow-celery")
    env = celery_environment(database, redis_db)
    env.update(
        {
            "AIRFLOW_CONN_AZKABAN_DEFAULT": connection_env(e2e_sandbox.url),
            "AZKABAN_SEEDER_REPORT_DIR": str(home / "reports"),
            "AZKABAN_SEEDER_SHARD_TIMEOUT": "150",
            "AZKABAN_SEEDER_MAX_PARALLEL_SHARDS": str(PARALLEL_SHARDS),
        }
    )
    airflow = EmbeddedAirflow(
        home=home,
        dags_folder=DAGS,
        plugins_folder=PLUGINS,
        executor="CeleryExecutor",
        sql_alchemy_conn=env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
        extra_env=env,
        celery_workers=WORKERS,
    )
    with airflow:
        yield airflow


class RunningLogs:
    """``on_poll`` of the wait: reads, once per shard, the log of a shard running on a worker
    that does not serve logs itself, as the UI would (the api-server asks the log server at
    that worker's hostname)."""

    def __init__(self, stack: EmbeddedAirflow, run_id: str) -> None:
        self.stack, self.run_id = stack, run_id
        self.seen: dict[int, list[str]] = {}
        self.silent = {w.hostname for w in WORKERS if not w.serve_logs}

    def __call__(self, _run: dict[str, Any]) -> None:
        for ti in self.stack.task_instances(DAG_ID, self.run_id):
            running = ti["task_id"] == SHARD_TASK and ti["state"] == "running"
            if running and ti["hostname"] in self.silent and ti["map_index"] not in self.seen:
                self.seen[ti["map_index"]] = api_task_log(
                    self.stack.client, DAG_ID, self.run_id, SHARD_TASK, ti["map_index"]
                )


def test_rebuild_on_two_celery_workers(
    celery_stack: EmbeddedAirflow, e2e_sandbox: SandboxServer
) -> None:
    run_id = celery_stack.trigger(DAG_ID, CONF)
    running_logs = RunningLogs(celery_stack, run_id)
    state = celery_stack.wait(DAG_ID, run_id, timeout=300, poll=0.5, on_poll=running_logs)
    tis = celery_stack.task_instances(DAG_ID, run_id)
    assert state == "success", [(t["task_id"], t["map_index"], t["state"]) for t in tis]

    shards = [t for t in tis if t["task_id"] == SHARD_TASK]
    assert len(shards) == SHARDS
    assert {t["executor"] or "CeleryExecutor" for t in shards} == {"CeleryExecutor"}
    hosts = celery_hosts(tis, SHARD_TASK)
    expected = {w.hostname for w in WORKERS}
    assert set(hosts) == expected, (
        f"every worker must run shards: shard map indexes by task hostname {hosts}, "
        f"worker hostnames {sorted(expected)} ({', '.join(w.node for w in WORKERS)})"
    )

    on_server = projects_on_server(e2e_sandbox.url, "celery")
    assert on_server == planned(CONF)
    assert sum(len(flows) for flows in on_server.values()) == CONF["flow_count"]
    assert celery_stack.client.xcom(DAG_ID, run_id, "report", key="report")["ok"] is True

    # Logs stay readable through the API whichever worker ran the shard: finished ones from
    # the shared log folder; running ones on worker-2 from worker-1's log server.
    for host, indexes in hosts.items():
        events = api_task_log(celery_stack.client, DAG_ID, run_id, SHARD_TASK, indexes[0])
        assert not [e for e in events if "Could not read" in e], (host, events[:10])
        assert any("shard" in e.lower() for e in events), (host, events[:20])
    # A shard task runs for a few seconds (task start included); the wait polls every 0.5 s,
    # so some of worker-2's were seen running.
    assert running_logs.seen, f"no shard of {sorted(running_logs.silent)} was seen running"
    for map_index, events in running_logs.seen.items():
        # The api-server reads a running task's log from worker-1's log server at the task's
        # hostname, or straight from the shared log folder when the file is already there
        # (both were seen here, depending on timing): either way it must be readable.
        served = [e for e in events for h in running_logs.silent if e.startswith(f"http://{h}:")]
        local = [e for e in events if e.startswith(str(celery_stack.home / "logs"))]
        assert served or local, (map_index, events[:6])
        assert not [e for e in events if "Could not read" in e], (map_index, events)

"""Distributed mode natively: CeleryExecutor, PostgreSQL, Redis and ``airflow celery worker``.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on 127.0.0.1:6379;
skipped when either is missing. Each run gets a fresh database and Redis db number 11.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
from e2e_support import (
    DAGS,
    PLUGINS,
    celery_environment,
    connection_env,
    planned,
    projects_on_server,
)

from azkaban_devstack import EmbeddedAirflow
from azkaban_sandbox.server import SandboxServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

DAG_ID = "azkaban_env_rebuild"
PG_HOST, PG_PORT, REDIS_PORT, REDIS_DB = "127.0.0.1", 5432, 6379, 11


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    if not (_listening(PG_PORT) and _listening(REDIS_PORT)):
        pytest.skip("PostgreSQL on :5432 and Redis on :6379 are needed")
    import psycopg2

    name = f"airflow_e2e_{os.getpid()}_{int(time.time())}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def redis_db() -> str:
    import redis

    redis.Redis(host="127.0.0.1", port=REDIS_PORT, db=REDIS_DB).flushdb()
    return f"127.0.0.1:{REDIS_PORT}/{REDIS_DB}"


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
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
        }
    )
    airflow = EmbeddedAirflow(
        home=home,
        dags_folder=DAGS,
        plugins_folder=PLUGINS,
        executor="CeleryExecutor",
        sql_alchemy_conn=env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
        extra_env=env,
        workers=("celery worker",),
    )
    with airflow:
        yield airflow


def test_rebuild_on_celery_workers(
    celery_stack: EmbeddedAirflow, e2e_sandbox: SandboxServer
) -> None:
    conf = {
        "flow_count": 200,
        "flows_per_project": 20,
        "projects_per_shard": 5,
        "processes": 2,
        "prefix": "celery",
    }
    run_id = celery_stack.trigger(DAG_ID, conf)
    state = celery_stack.wait(DAG_ID, run_id, timeout=300)
    tis = celery_stack.task_instances(DAG_ID, run_id)
    assert state == "success", [(t["task_id"], t["map_index"], t["state"]) for t in tis]
    shards = [t for t in tis if t["task_id"] == "upload_shard"]
    assert len(shards) == 2
    assert {t["executor"] or "CeleryExecutor" for t in shards} == {"CeleryExecutor"}
    assert all(t["hostname"] for t in shards)
    assert projects_on_server(e2e_sandbox.url, "celery") == planned(conf)
    assert celery_stack.client.xcom(DAG_ID, run_id, "report", key="report")["ok"] is True

"""The distributed mode's services for local runs: a fresh PostgreSQL database, a clean Redis
database and the CeleryExecutor settings that point Airflow at them.

PostgreSQL on 127.0.0.1:5432 (user ``postgres``, trust auth) and Redis on 127.0.0.1:6379 run on
every machine of this project (``.ci/run`` starts them when they are down). The native Celery
test (tests/e2e/test_celery_run.py) and the worker benchmark use the same helpers, and
tests/e2e/test_docker_compose.py checks docker-compose.yml sets the same keys.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator

PG_HOST, PG_PORT, REDIS_HOST, REDIS_PORT = "127.0.0.1", 5432, "127.0.0.1", 6379

#: Settings that make Airflow distributed.
CELERY_KEYS = (
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
)


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def services_up() -> bool:
    """PostgreSQL and Redis both listening."""
    return listening(PG_PORT, PG_HOST) and listening(REDIS_PORT, REDIS_HOST)


@contextlib.contextmanager
def fresh_database(label: str) -> Iterator[str]:
    """A new PostgreSQL database ``airflow_<label>_<pid>_<ms>``, dropped afterwards (even with
    connections left); yields ``user@host:port/name``."""
    import psycopg2

    name = f"airflow_{label}_{os.getpid()}_{int(time.time() * 1000)}"
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


def flushed_redis(db: int) -> str:
    """Redis database ``db`` emptied; returns ``host:port/db``."""
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db).flushdb()
    return f"{REDIS_HOST}:{REDIS_PORT}/{db}"


def celery_environment(database: str, redis: str) -> dict[str, str]:
    """CeleryExecutor settings for a PostgreSQL ``user@host:port/db`` and a Redis
    ``host:port/n`` (exactly the `CELERY_KEYS`)."""
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{database}",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{redis}",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{database}",
    }

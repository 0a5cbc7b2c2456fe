"""Helpers of the end-to-end tests: Connection env, plan vs. server, sandbox control, logs.

(A module of its own: several test folders have a ``conftest``, so ``from conftest import``
would pick whichever was imported first.)

Passwords: Airflow masks every occurrence of a Connection's password in task logs, so the
sandbox's stock ``azkaban``/``azkaban`` turns the product's name into ``***`` everywhere.
`private_sandbox` starts one with a generated password and records it; `connection_env`,
`settings_for` and the other helpers look the password up by URL (``azkaban`` for any other
sandbox, e.g. the shared fixture of tests/e2e/conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from azkaban_devstack import EmbeddedAirflow, distributed
from azkaban_sandbox.server import SandboxConfig, SandboxServer
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings
from azkaban_seeder.flows import expected_flow_ids
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.spec import EnvSpec

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
PLUGINS = ROOT / "plugins"
USER, PASSWORD = "azkaban", "azkaban"
#: Sandbox URL -> its generated password (see `private_sandbox`).
_PASSWORDS: dict[str, str] = {}


def password_for(url: str) -> str:
    """The Azkaban password of the sandbox at ``url``."""
    return _PASSWORDS.get(url.rstrip("/"), PASSWORD)


@contextlib.contextmanager
def private_sandbox(data_dir: Path) -> Iterator[SandboxServer]:
    """A sandbox (free port) whose only user has a generated password: no common word for
    Airflow's log masking to blank out."""
    password = secrets.token_urlsafe(18)
    server = SandboxServer(SandboxConfig(port=0, data_dir=data_dir, users={USER: password}))
    server.start()
    url = server.url.rstrip("/")
    _PASSWORDS[url] = password
    try:
        yield server
    finally:
        server.stop()
        _PASSWORDS.pop(url, None)


def connection_env(url: str) -> str:
    """``AIRFLOW_CONN_AZKABAN_DEFAULT`` (JSON form) for the sandbox at ``url``."""
    host_port = url.split("://", 1)[1]
    host, port = host_port.split(":")
    return json.dumps(
        {
            "conn_type": "azkaban",
            "host": host,
            "port": int(port),
            "schema": "http",
            "login": USER,
            "password": password_for(url),
            "extra": {"timeout": 30},
        }
    )


def sandbox_stack(home: Path, sandbox_url: str, shard_timeout: int = 150) -> EmbeddedAirflow:
    """The embedded stack (with triggerer) of this checkout's DAGs, its Connection on the
    sandbox at ``sandbox_url`` and reports under ``home/reports``; a shard task is killed after
    ``shard_timeout`` s (a shard of a few small projects takes seconds)."""
    return EmbeddedAirflow(
        home=home,
        dags_folder=DAGS,
        plugins_folder=PLUGINS,
        extra_env={
            "AIRFLOW_CONN_AZKABAN_DEFAULT": connection_env(sandbox_url),
            "AZKABAN_SEEDER_REPORT_DIR": str(home / "reports"),
            "AZKABAN_SEEDER_SHARD_TIMEOUT": str(shard_timeout),
        },
        triggerer=True,
    )


def connection_env_as(url: str, login: str, password: str) -> str:
    """An ``AIRFLOW_CONN_<ID>`` value (JSON form) for the sandbox at ``url`` and one of its
    users, e.g. the READ-only account of a production stand-in (tests/profile/standin.py)."""
    host, port = url.split("://", 1)[1].split(":")
    return json.dumps(
        {
            "conn_type": "azkaban",
            "host": host,
            "port": int(port),
            "schema": "http",
            "login": login,
            "password": password,
            "extra": {"timeout": 30},
        }
    )


def settings_for(url: str) -> ConnectionSettings:
    return ConnectionSettings(url=url, user=USER, password=password_for(url), timeout=30.0)


def projects_on_server(url: str, prefix: str) -> dict[str, set[str]]:
    """What Azkaban holds for ``prefix``: ``fetchallprojects``, then ``fetchprojectflows``."""
    with AzkabanClient(settings_for(url)) as client:
        names = [p.name for p in client.fetch_all_projects() if p.name.startswith(prefix + "_")]
        return {name: set(client.fetch_project_flows(name)) for name in names}


def planned(conf: dict[str, Any]) -> dict[str, set[str]]:
    """What the plan says Azkaban must hold for the DAG params ``conf``."""
    keys = {"flow_count", "flows_per_project", "projects_per_shard", "prefix", "shape"}
    spec = EnvSpec.from_mapping({k: v for k, v in conf.items() if k in keys})
    return {p.name: set(expected_flow_ids(p)) for p in plan_projects(spec)}


# The CeleryExecutor settings live with the launcher (azkaban_devstack.distributed); the native
# Celery test and test_docker_compose.py take them from there.
CELERY_KEYS = distributed.CELERY_KEYS
celery_environment = distributed.celery_environment


def celery_hosts(task_instances: list[dict[str, Any]], task_id: str) -> dict[str, list[int]]:
    """Task instance hostname -> the map indexes of ``task_id`` that ran there (REST API
    ``taskInstances`` rows; a row without a hostname counts under ``""``)."""
    hosts: dict[str, list[int]] = {}
    for ti in sorted(task_instances, key=lambda t: int(t["map_index"])):
        if ti["task_id"] == task_id:
            hosts.setdefault(ti.get("hostname") or "", []).append(int(ti["map_index"]))
    return hosts


def api_task_log(
    client: Any, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int = 1
) -> list[str]:
    """The ``event`` texts of one task attempt's log as the api-server serves it to the UI
    (``GET .../taskInstances/{task_id}/logs/{try_number}?map_index=N``; ``client`` is an
    `azkaban_devstack.AirflowRestClient`). The first events are the log's sources (local file,
    ``http://<hostname>:<port>/log/...`` of a worker's log server, or why one was unreadable)."""
    path = (
        f"/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}"
        f"/taskInstances/{quote(task_id, safe='')}/logs/{try_number}"
    )
    reply = client.request("GET", path, params={"map_index": map_index, "full_content": True})
    content = reply.get("content", []) if isinstance(reply, dict) else []
    if isinstance(content, str):
        return content.splitlines()
    return [str(item.get("event", "")) if isinstance(item, dict) else str(item) for item in content]


def reject_uploads(url: str, projects: list[str], message: str | None = None) -> None:
    """``POST /_sandbox/reject-uploads``: uploads to these projects fail (empty list: clear)."""
    import requests

    body: dict[str, Any] = {"projects": projects}
    if message:
        body["message"] = message
    reply = requests.post(f"{url}/_sandbox/reject-uploads", json=body, timeout=10)
    reply.raise_for_status()


def task_logs(logs_dir: Path, dag_id: str, run_id: str) -> dict[Path, str]:
    """Every task log file of one run (``dag_id=.../run_id=.../task_id=.../attempt=N.log``)."""
    run_dir = logs_dir / f"dag_id={dag_id}" / f"run_id={run_id}"
    return {path: path.read_text(errors="replace") for path in sorted(run_dir.rglob("*.log"))}


def error_lines(text: str) -> list[str]:
    """Lines of a task log at ERROR or above (Airflow 3 writes JSON lines with ``level``)."""
    found = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if " ERROR " in line or line.startswith("ERROR"):
                found.append(line)
            continue
        if isinstance(record, dict) and str(record.get("level", "")).lower() in (
            "error",
            "critical",
        ):
            found.append(line)
    return found

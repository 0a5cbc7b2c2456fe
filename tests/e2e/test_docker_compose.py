"""docker-compose.yml (no Docker engine here): parse it and check the distributed topology
matches what test_celery_run.py proves natively (CeleryExecutor, PostgreSQL, Redis).

With a ``docker-compose`` binary on PATH (Debian's package needs no engine for this),
``docker-compose config`` must accept the file too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import CELERY_KEYS, ROOT, celery_environment

COMPOSE = ROOT / "docker-compose.yml"
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def test_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "azkaban-sandbox",
        "airflow-init",
        *AIRFLOW_SERVICES,
    }
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command, name
        assert services[name]["depends_on"]["airflow-init"] == {
            "condition": "service_completed_successfully"
        }
    assert services["airflow-init"]["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"


def test_celery_settings_have_the_shape_the_native_test_runs(compose: dict[str, Any]) -> None:
    native = celery_environment("u:p@127.0.0.1:5432/db", "127.0.0.1:6379/7")
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        env = compose["services"][name]["environment"]
        for key in CELERY_KEYS:
            # Same settings, same URL schemes; only hosts and credentials differ.
            assert env[key].split("://")[0] == native[key].split("://")[0], (name, key)
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:@redis:6379/")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:")


def test_dags_and_the_installed_package_reach_every_component(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        targets = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
        assert targets["/opt/airflow/dags"] == "./dags", name
        # The package comes from the image (entry points register the plugin and the
        # connection type); a mounted copy of the sources would only shadow or confuse it.
        assert "/opt/airflow/plugins" not in targets and "/opt/airflow/include" not in targets
        assert service["build"] == "."


def test_the_image_installs_the_package_without_replacing_its_airflow() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:3\.3\.\d+-python3\.\d+$", dockerfile, re.MULTILINE)
    install = next(line for line in dockerfile.splitlines() if "pip install" in line)
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in install
    assert "/opt/azkaban-seeder[airflow]" in install
    for folder in ("include", "plugins"):
        assert f"COPY --chown=airflow:root {folder} /opt/azkaban-seeder/{folder}" in dockerfile


def test_azkaban_connection_points_at_the_sandbox(compose: dict[str, Any]) -> None:
    services = compose["services"]
    sandbox = services["azkaban-sandbox"]
    assert sandbox["entrypoint"] == ["azkaban-sandbox"]
    assert sandbox["command"][:2] == ["--host", "0.0.0.0"]
    port = int(sandbox["command"][sandbox["command"].index("--port") + 1])
    for name in AIRFLOW_SERVICES:
        conn = json.loads(services[name]["environment"]["AIRFLOW_CONN_AZKABAN_DEFAULT"])
        assert conn["conn_type"] == "azkaban"
        assert (conn["host"], conn["port"], conn["schema"]) == ("azkaban-sandbox", port, "http")
        assert conn["login"] and conn["password"]


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("no docker-compose binary (Debian package docker-compose)")
    result = subprocess.run(
        [binary, "-f", str(COMPOSE), "config", "--quiet"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]

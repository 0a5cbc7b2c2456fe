"""Pieces of ``python -m azkaban_devstack`` that need no running stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from azkaban_devstack.job import _parser, connection_json, run_conf
from azkaban_devstack.stack import EmbeddedAirflow, free_port


def test_connection_json_is_what_the_hook_reads() -> None:
    conn = json.loads(connection_json("http://127.0.0.1:8081", "azkaban", "pw"))
    assert conn == {
        "conn_type": "azkaban",
        "host": "127.0.0.1",
        "port": 8081,
        "schema": "http",
        "login": "azkaban",
        "password": "pw",
        "extra": {"timeout": 120},
    }


def test_run_conf_keeps_dag_defaults_unless_asked() -> None:
    args = _parser().parse_args([])
    assert run_conf(args) == {"flow_count": 10_000}
    args = _parser().parse_args(["--processes", "2", "--conf", '{"shape": "mix"}'])
    assert run_conf(args) == {"flow_count": 10_000, "processes": 2, "shape": "mix"}


def test_stack_environment_is_hermetic(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://elsewhere/db")
    stack = EmbeddedAirflow(
        home=tmp_path, dags_folder=tmp_path, plugins_folder=tmp_path, api_port=free_port()
    )
    env = stack.environment()
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path / 'airflow.db'}"
    assert env["AIRFLOW_HOME"] == str(tmp_path)
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith(f":{stack.api_port}/execution/")
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == env["AIRFLOW__API__SECRET_KEY"]
    # Components start further `airflow` processes by name: this venv's bin must come first.
    assert (Path(env["PATH"].split(os.pathsep)[0]) / "airflow").exists()


def test_module_entry_point_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "azkaban_devstack", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--flow-count" in result.stdout


def test_sandbox_password_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    from azkaban_devstack.job import PASSWORD_FILE, sandbox_password

    first = sandbox_password(tmp_path)
    assert sandbox_password(tmp_path) == first
    assert first != "azkaban" and len(first) >= 20
    assert (tmp_path / PASSWORD_FILE).stat().st_mode & 0o077 == 0

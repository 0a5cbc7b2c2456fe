"""The main job (``make run``): sandbox + local Airflow + one ``azkaban_env_rebuild`` run.

1. start the Azkaban sandbox (``python -m azkaban_sandbox``, data under ``var/``);
2. start Airflow (SQLite, LocalExecutor) with ``AIRFLOW_CONN_AZKABAN_DEFAULT`` pointing at it;
3. trigger ``azkaban_env_rebuild`` through the REST API (10,000 flows by default), log each
   task instance as it finishes, wait (bounded);
4. print the report summary and the report file's path, stop everything, exit 1 if the run
   failed (2 if the stack itself failed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from azkaban_devstack.rest import AirflowApiError
from azkaban_devstack.stack import EmbeddedAirflow, StackError, free_port

logger = logging.getLogger("azkaban_devstack")

DAG_ID = "azkaban_env_rebuild"
REPO_ROOT = Path(__file__).resolve().parents[2]
SANDBOX_USER = "azkaban"
PASSWORD_FILE = "sandbox-password"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m azkaban_devstack",
        description="Rebuild an Azkaban environment in a local sandbox through a local "
        "Airflow 3 stack (SQLite, LocalExecutor) and print the report.",
    )
    p.add_argument("--flow-count", type=int, default=10_000)
    p.add_argument("--flows-per-project", type=int, default=None)
    p.add_argument("--projects-per-shard", type=int, default=None)
    p.add_argument("--processes", type=int, default=None, help="Pool size per shard task")
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="profile JSON file to build from (shape profile; e.g. one azkaban_env_profile "
        'wrote); short for --conf \'{"shape": "profile", "profile": "<absolute path>"}\'',
    )
    p.add_argument("--conf", default="{}", help="extra DAG params as JSON")
    p.add_argument("--var-dir", type=Path, default=Path("var"), help="state, logs, reports")
    p.add_argument("--sandbox-port", type=int, default=8081, help="0 or busy: a free port")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the run")
    p.add_argument("--dags-folder", type=Path, default=REPO_ROOT / "dags")
    p.add_argument("--plugins-folder", type=Path, default=REPO_ROOT / "plugins")
    return p


def run_conf(args: argparse.Namespace) -> dict[str, Any]:
    """DAG params from the command line (unset options keep the DAG's defaults)."""
    conf: dict[str, Any] = {"flow_count": args.flow_count}
    for name in ("flows_per_project", "projects_per_shard", "processes"):
        if getattr(args, name) is not None:
            conf[name] = getattr(args, name)
    if args.profile is not None:
        # Absolute: the task processes run in the Airflow home, not in this directory.
        conf.update(shape="profile", profile=str(args.profile.resolve()))
    conf.update(json.loads(args.conf))
    return conf


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    """Bounded wait until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"sandbox exited with {process.returncode} before listening")
        if not _port_free(port):
            return
        time.sleep(0.2)
    raise StackError(f"sandbox did not listen on port {port} within {timeout:.0f}s")


def sandbox_password(var_dir: Path) -> str:
    """The sandbox's password: generated once, kept in ``var/sandbox-password`` (mode 0600).

    Not the well-known ``azkaban``: Airflow masks a Connection's password in every task log,
    and masking a word as common as the product's name would blank it everywhere."""
    path = var_dir / PASSWORD_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(18)
    var_dir.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password + "\n", encoding="utf-8")
    logger.info("sandbox user %s, password generated and kept in %s", SANDBOX_USER, path)
    return password


@contextlib.contextmanager
def sandbox_process(var_dir: Path, port: int, password: str) -> Iterator[str]:
    """Run the sandbox as a subprocess for the duration of the block; yields its URL."""
    if port == 0 or not _port_free(port):
        port = free_port()
    data_dir = var_dir / "sandbox"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = var_dir / "sandbox.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "azkaban_sandbox"),
                *("--port", str(port), "--data-dir", str(data_dir)),
                *("--user", f"{SANDBOX_USER}:{password}"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(port, 60.0, process)
            logger.info(
                "sandbox at http://127.0.0.1:%s (data %s, log %s)", port, data_dir, log_path
            )
            yield f"http://127.0.0.1:{port}"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def connection_json(url: str, user: str, password: str) -> str:
    """``AIRFLOW_CONN_AZKABAN_DEFAULT`` in Airflow's JSON form for an ``http://host:port``."""
    scheme, _, rest = url.partition("://")
    host, _, port = rest.partition(":")
    conn: dict[str, Any] = {"conn_type": "azkaban", "host": host, "schema": scheme}
    conn.update({"login": user, "password": password, "extra": {"timeout": 120}})
    if port:
        conn["port"] = int(port)
    return json.dumps(conn)


class ProgressLog:
    """Logs each task instance once when it reaches a final state, with the elapsed time."""

    FINAL = frozenset({"success", "failed", "upstream_failed", "skipped"})

    def __init__(self, stack: EmbeddedAirflow, run_id: str) -> None:
        self.stack = stack
        self.run_id = run_id
        self.started = time.monotonic()
        self.seen: set[tuple[str, int]] = set()

    def __call__(self, run: dict[str, Any]) -> None:
        tis = self.stack.task_instances(DAG_ID, self.run_id)
        shards = [t for t in tis if t["task_id"] == "upload_shard"]
        for ti in sorted(tis, key=lambda t: (t.get("end_date") or "", t["map_index"])):
            key = (ti["task_id"], ti["map_index"])
            if ti["state"] not in self.FINAL or key in self.seen:
                continue
            self.seen.add(key)
            label = ti.get("rendered_map_index") or ""
            done = sum(1 for t in shards if t["state"] in self.FINAL)
            suffix = (
                f" ({done}/{len(shards)} shards done)" if ti["task_id"] == "upload_shard" else ""
            )
            logger.info(
                "[%6.1fs] %s %s -> %s%s",
                time.monotonic() - self.started,
                ti["task_id"],
                label,
                ti["state"],
                suffix,
            )


def _report_file(stack: EmbeddedAirflow, run_id: str) -> Path | None:
    try:
        report = stack.client.xcom(DAG_ID, run_id, "report", key="report")
    except AirflowApiError:
        return None
    if isinstance(report, str):
        report = json.loads(report)
    return Path(report["report_path"]) if isinstance(report, dict) else None


def run(args: argparse.Namespace) -> int:
    """The whole job; returns the process exit code."""
    from azkaban_seeder.report import RunReport, format_summary

    var_dir = args.var_dir.resolve()
    conf = run_conf(args)
    password = sandbox_password(var_dir)
    with sandbox_process(var_dir, args.sandbox_port, password) as url:
        env = {
            "AIRFLOW_CONN_AZKABAN_DEFAULT": connection_json(url, SANDBOX_USER, password),
            "AZKABAN_SEEDER_REPORT_DIR": str(var_dir / "reports"),
        }
        stack = EmbeddedAirflow(
            home=var_dir / "airflow",
            dags_folder=args.dags_folder,
            plugins_folder=args.plugins_folder,
            extra_env=env,
            triggerer=True,
        )
        with stack:
            logger.info(
                "Airflow UI: %s (user admin, password in %s)",
                stack.base_url,
                stack.home / "simple_auth_manager_passwords.json.generated",
            )
            stack.client.wait_for_dag(DAG_ID, timeout=stack.start_timeout)
            for stale in stack.client.dag_runs(DAG_ID, ("queued", "running")):
                # A run left over from an interrupted job would hold max_active_runs=1.
                stack.client.set_run_state(DAG_ID, stale["dag_run_id"], "failed")
            run_id = stack.trigger(DAG_ID, conf)
            logger.info("triggered %s run %s with %s", DAG_ID, run_id, conf)
            state = stack.wait(DAG_ID, run_id, args.timeout, on_poll=ProgressLog(stack, run_id))
            path = _report_file(stack, run_id)
    logger.info("run %s finished: %s", run_id, state)
    if path is not None and path.exists():
        report = RunReport.from_dict(json.loads(path.read_text()))
        sys.stdout.write(format_summary(report) + "\n")
        sys.stdout.write(f"report: {path}\n")
    else:
        sys.stdout.write(f"no report written; task logs under {var_dir / 'airflow' / 'logs'}\n")
    return 0 if state == "success" else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m azkaban_devstack``."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    try:
        return run(args)
    except (StackError, AirflowApiError, TimeoutError) as exc:
        logger.error("embedded run failed: %s", exc)
        return 2

"""Start and stop a local Airflow 3 stack as subprocesses (no Airflow import).

Each component runs as ``airflow <component>`` in its own process group with this
interpreter's ``bin/`` first on ``PATH`` (the LocalExecutor and the dag-processor start further
``airflow`` processes by name). Configuration travels as ``AIRFLOW__SECTION__KEY`` variables so
nothing is written to the user's ``~/airflow``. ``stop()`` signals every process group and every
descendant it can still see, so no task or Pool worker outlives the stack.

Several Celery workers on one machine (`CeleryWorker`, `local_celery_workers`): each has its
own Celery node name, log file and task hostname (the ``hostname`` its task instances record),
a loopback address of its own (``127.0.0.N``) so the api-server can still reach the one worker
log server for a running task's log; see `local_celery_workers`.
"""

from __future__ import annotations

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

from azkaban_devstack.rest import AirflowRestClient

# `pid_alive` (exists and is not a zombie) is the runner's rule; tests import it from here.
from azkaban_seeder.runner.lifeline import pid_alive

logger = logging.getLogger(__name__)

ADMIN_USER = "admin"
STOP_GRACE_SECONDS = 15.0
#: How long `stop` waits for processes it SIGKILLed to be gone: the signal is delivered
#: asynchronously, and a process inside a system call dies only when it leaves it.
KILL_WAIT_SECONDS = 10.0
#: Seconds the scheduler sleeps after a loop with nothing to do (Airflow: 1). A run's tasks
#: start one hand-off after another; at 0.25 s the 6 hand-offs of a rebuild cost ~2 s less,
#: for a few more (cheap) scheduler loops while idle.
SCHEDULER_IDLE_SLEEP = 0.25
COMPONENT_COMMANDS: dict[str, tuple[str, ...]] = {
    "scheduler": ("scheduler",),
    "dag-processor": ("dag-processor",),
    "triggerer": ("triggerer",),
}


class StackError(RuntimeError):
    """A component failed to start or died; the message points at its log file."""


#: ``[core] hostname_callable`` of the stack's `CeleryWorker` processes (and their tasks).
WORKER_HOSTNAME_CALLABLE = "azkaban_devstack.stack.worker_hostname"
#: The variable `worker_hostname` answers with (set per worker by `CeleryWorker`).
WORKER_HOSTNAME_ENV = "AZKABAN_DEVSTACK_HOSTNAME"


def worker_hostname() -> str:
    """``[core] hostname_callable`` of a stack worker: ``$AZKABAN_DEVSTACK_HOSTNAME``, else
    the machine's FQDN (Airflow's default). Imported by Airflow in the worker and its tasks."""
    return os.environ.get(WORKER_HOSTNAME_ENV) or socket.getfqdn()


@dataclass(frozen=True)
class CeleryWorker:
    """One ``airflow celery worker`` of a stack; build several with `local_celery_workers`.

    ``name`` is its Celery node name (``--celery-hostname``, shown as ``celery@<name>``; plain,
    without Celery's ``@`` or ``%h``) and names its log file. ``hostname`` is what its task
    instances record as ``hostname`` (the worker's ``[core] hostname_callable`` is
    `worker_hostname`) and where the api-server asks for a running task's log
    (``http://<hostname>:<worker_log_server_port>/log/...``), so it must reach this machine.
    ``serve_logs`` starts the worker log server on the stack's port: one worker per stack,
    since every worker would bind the same port (the others run with ``--skip-serve-logs``).
    ``concurrency`` is ``--concurrency`` (None: ``[celery] worker_concurrency``); ``env`` is
    extra environment for this worker only.
    """

    name: str
    hostname: str
    concurrency: int | None = None
    serve_logs: bool = True
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def component(self) -> str:
        """The stack's component name (``celery:<name>``; log ``celery-<name>.log``)."""
        return f"celery:{self.name}"

    @property
    def node(self) -> str:
        """The Celery node name the worker announces (``celery@<name>``)."""
        return f"celery@{self.name}"

    def command(self) -> tuple[str, ...]:
        """The ``airflow`` arguments that start this worker."""
        args = ["celery", "worker", "--celery-hostname", self.name]
        if self.concurrency is not None:
            args += ["--concurrency", str(self.concurrency)]
        if not self.serve_logs:
            args.append("--skip-serve-logs")
        return tuple(args)

    def environment(self) -> dict[str, str]:
        """What this worker adds to the stack's environment."""
        return {
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": WORKER_HOSTNAME_CALLABLE,
            WORKER_HOSTNAME_ENV: self.hostname,
            **self.env,
        }


def local_celery_workers(count: int, concurrency: int | None = None) -> tuple[CeleryWorker, ...]:
    """``count`` workers on this machine: ``worker-1``..``worker-N`` with task hostnames
    ``127.0.0.1``..``127.0.0.N``; only the first serves logs.

    Why loopback addresses: the api-server reads a finished task's log from the shared log
    folder, but a running task's log from ``http://<ti.hostname>:<port>``, one port for every
    worker. Made-up names would not resolve; ``127.0.0.N`` all reach this machine (Linux routes
    all of 127/8 to loopback), where the first worker's log server (bound to every address)
    serves every worker's files, since they share the log folder. Distinct per-worker ports
    would not help: the api-server knows only one ``worker_log_server_port``.
    """
    if not 1 <= count <= 254:
        raise ValueError(f"count must be from 1 to 254 (loopback 127.0.0.N), got {count}")
    return tuple(
        CeleryWorker(
            name=f"worker-{n}",
            hostname=f"127.0.0.{n}",
            concurrency=concurrency,
            serve_logs=n == 1,
        )
        for n in range(1, count + 1)
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0 and read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def venv_bin() -> Path:
    """The ``bin/`` directory of the running interpreter's environment (holds ``airflow``)."""
    return Path(sys.prefix) / "bin"


def _children_by_parent() -> dict[int, list[int]]:
    """Map parent pid -> child pids from ``/proc`` (Linux); empty elsewhere."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        # The command name sits in parentheses and may hold spaces: split after the last ')'.
        fields = text.rsplit(")", 1)[-1].split()
        if len(fields) > 1:
            tree.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    return tree


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children, grandchildren, ...)."""
    tree = _children_by_parent()
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in tree.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


@dataclass
class Component:
    """One running ``airflow`` subprocess and the log file it writes to."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]


@dataclass
class EmbeddedAirflow:
    """A local Airflow stack: ``start()``, drive it through ``api``, ``stop()``.

    ``home`` becomes ``AIRFLOW_HOME`` (SQLite DB, logs, generated admin password). Use it as a
    context manager so ``stop()`` runs even when a test fails.

    Workers: ``workers`` holds commands started as they are with the shared environment
    (``"celery worker"`` -> ``airflow celery worker``); ``celery_workers`` holds `CeleryWorker`
    specs (``local_celery_workers(2, concurrency=2)``), each with its own node name, log file
    and environment; ``start()`` returns once every one of them is ready for tasks.
    """

    home: Path
    dags_folder: Path
    plugins_folder: Path
    executor: str = "LocalExecutor"
    sql_alchemy_conn: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    api_port: int | None = None
    triggerer: bool = False
    parallelism: int = 16
    start_timeout: float = 180.0
    workers: tuple[str, ...] = ()
    celery_workers: tuple[CeleryWorker, ...] = ()
    worker_ready_timeout: float = 120.0
    components: list[Component] = field(default_factory=list, init=False)
    api: AirflowRestClient | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()
        self.dags_folder = Path(self.dags_folder).resolve()
        self.plugins_folder = Path(self.plugins_folder).resolve()
        self._secret = secrets.token_hex(32)
        self._check_celery_workers()
        # Scheduler (LocalExecutor) and Celery workers serve task logs on 8793 by default:
        # a private port lets two stacks (a test and `make run`) share the machine.
        self._log_server_port = free_port()

    # ------------------------------------------------------------------ configuration

    @property
    def base_url(self) -> str:
        if self.api_port is None:
            raise StackError("the stack has no api-server port yet; call start() first")
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def log_dir(self) -> Path:
        return self.home / "stack-logs"

    def environment(self) -> dict[str, str]:
        """The environment every component runs with (also useful for ``airflow`` CLI calls)."""
        # Start from the caller's environment minus its Airflow settings, so a stray
        # AIRFLOW__* in the shell cannot point the stack at another database.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        db = self.sql_alchemy_conn or f"sqlite:///{self.home / 'airflow.db'}"
        port = self.api_port or 8080
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "PATH": f"{venv_bin()}{os.pathsep}{env.get('PATH', '')}",
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.plugins_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": self.executor,
                "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db,
                "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
                "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__SECRET_KEY": self._secret,
                "AIRFLOW__API_AUTH__JWT_SECRET": self._secret,
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
                # The scheduler's sleep between loops when a loop had nothing to do (Airflow's
                # default 1 s): each task of a run waits for it once before the next starts.
                "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": str(SCHEDULER_IDLE_SLEEP),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self._log_server_port),
                # Tasks must not inherit a terminal's colour codes into their log files.
                "NO_COLOR": "1",
            }
        )
        env.update(self.extra_env)
        return env

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> EmbeddedAirflow:
        """Migrate the DB, start api-server, scheduler, dag-processor (+ triggerer, workers)."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.api_port is None:
            self.api_port = free_port()
        try:
            self.run_cli("db", "migrate", timeout=self.start_timeout)
            self._spawn(
                "api-server",
                ("api-server", "--host", "127.0.0.1", "--port", str(self.api_port)),
            )
            self._wait_for_api()
            for name in self._component_names():
                self._spawn(name, COMPONENT_COMMANDS.get(name, (name,)))
            for worker in self.celery_workers:
                self._spawn(worker.component, worker.command(), worker.environment())
            self.wait_for_celery_workers()
            self.api = AirflowRestClient(self.base_url, ADMIN_USER, self.admin_password())
            self.api.token()
        except BaseException:
            self.stop()
            raise
        logger.info("Airflow stack up at %s (home %s)", self.base_url, self.home)
        return self

    def _component_names(self) -> list[str]:
        names = ["scheduler", "dag-processor"]
        if self.triggerer:
            names.append("triggerer")
        return names + [f"worker:{w}" for w in self.workers]

    def run_cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run ``airflow *args`` with the stack's environment; raise `StackError` on failure."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"cli-{'-'.join(args[:2])}.log"
        result = subprocess.run(
            ["airflow", *args],
            env=self.environment(),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        log_path.write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise StackError(
                f"airflow {' '.join(args)} exited {result.returncode}; see {log_path}:\n"
                f"{result.stderr[-2000:]}"
            )
        return result

    def _check_celery_workers(self) -> None:
        names = [w.name for w in self.celery_workers]
        if len(set(names)) != len(names) or any(c in n for n in names for c in "@% "):
            raise StackError(f"celery worker names must differ and be plain: {names}")
        if sum(w.serve_logs for w in self.celery_workers) > 1:
            raise StackError("at most one celery worker may serve logs (they share the port)")

    def wait_for_celery_workers(self) -> None:
        """Wait (bounded) until every `CeleryWorker` has logged ``celery@<name> ready.``.

        A run triggered earlier could land on the first worker up only; this makes the
        workers' share of the tasks a matter of their slots, not of their start-up race.
        """
        deadline = time.monotonic() + self.worker_ready_timeout
        logs = {c.name: c.log_path for c in self.components}
        waiting = list(self.celery_workers)
        while waiting:
            self.check_alive()
            waiting = [
                w
                for w in waiting
                if f"{w.node} ready." not in logs[w.component].read_text(errors="replace")
            ]
            if not waiting:
                return
            if time.monotonic() > deadline:
                late = ", ".join(f"{w.node} ({logs[w.component]})" for w in waiting)
                raise StackError(
                    f"celery workers not ready within {self.worker_ready_timeout:.0f}s "
                    f"(no 'ready.' line at INFO level): {late}"
                )
            time.sleep(0.5)

    def _spawn(
        self, name: str, args: tuple[str, ...], extra_env: Mapping[str, str] | None = None
    ) -> None:
        if name.startswith("worker:"):
            # e.g. "worker:celery worker" -> airflow celery worker
            args = tuple(name.split(":", 1)[1].split())
        safe = name.replace(":", "-").replace(" ", "-")
        log_path = self.log_dir / f"{safe}.log"
        log_file = log_path.open("ab")
        process = subprocess.Popen(
            ["airflow", *args],
            env={**self.environment(), **(extra_env or {})},
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() can signal the whole tree
        )
        self.components.append(Component(name, process, log_path, log_file))
        logger.info("started %s (pid %s, log %s)", name, process.pid, log_path)

    def _wait_for_api(self) -> None:
        """Poll ``GET /api/v2/monitor/health`` until the api-server answers (bounded)."""
        deadline = time.monotonic() + self.start_timeout
        url = f"{self.base_url}/api/v2/monitor/health"
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
        raise StackError(f"api-server did not answer {url} within {self.start_timeout:.0f}s")

    def admin_password(self, timeout: float = 30.0) -> str:
        """The simple auth manager's generated password for ``admin`` (written by api-server)."""
        path = self.home / "simple_auth_manager_passwords.json.generated"
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError, ValueError, KeyError):
                return str(json.loads(path.read_text())[ADMIN_USER])
            if time.monotonic() > deadline:
                raise StackError(f"no admin password in {path}")
            time.sleep(0.2)

    def check_alive(self) -> None:
        """Raise `StackError` naming the log of any component that has exited."""
        for comp in self.components:
            code = comp.process.poll()
            if code is not None:
                tail = comp.log_path.read_text(errors="replace")[-3000:]
                raise StackError(f"{comp.name} exited with {code}; log {comp.log_path}:\n{tail}")

    def stop(self) -> None:
        """Terminate every component's process group and any descendant left; idempotent."""
        doomed: set[int] = set()
        for comp in self.components:
            doomed.update(descendants(comp.process.pid))
            doomed.add(comp.process.pid)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(comp.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for comp in self.components:
            with contextlib.suppress(subprocess.TimeoutExpired):
                comp.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        _kill_remaining(doomed, deadline)
        for comp in self.components:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(comp.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                comp.process.wait(timeout=5)
            comp.log_file.close()
        self.components.clear()

    def __enter__(self) -> EmbeddedAirflow:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ REST shortcuts

    @property
    def client(self) -> AirflowRestClient:
        if self.api is None:
            raise StackError("the stack is not started")
        return self.api

    def token(self) -> str:
        """A bearer token for ``/api/v2`` (simple auth manager, ``admin``)."""
        return self.client.token()

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Unpause ``dag_id`` once registered, trigger a manual run, return its run id."""
        self.client.wait_for_dag(dag_id, timeout=self.start_timeout)
        self.client.set_paused(dag_id, False)
        return self.client.trigger(dag_id, conf)

    def wait(
        self,
        dag_id: str,
        run_id: str,
        timeout: float,
        on_poll: Callable[[dict[str, Any]], None] | None = None,
        poll: float = 2.0,
    ) -> str:
        """Wait (bounded) for the run to finish, looking every ``poll`` seconds; also fails
        fast if a component died."""

        def look(run: dict[str, Any]) -> None:
            self.check_alive()
            if on_poll is not None:
                on_poll(run)

        return self.client.wait(dag_id, run_id, timeout, poll=poll, on_poll=look)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.client.task_instances(dag_id, run_id)

    def clear_task(
        self, dag_id: str, run_id: str, task_id: str, map_index: int | None = None
    ) -> list[dict[str, Any]]:
        return self.client.clear_task(dag_id, run_id, task_id, map_index)


def _wait_gone(pids: Iterable[int], until: float, *, step: float) -> list[int]:
    """Wait until none of ``pids`` is alive or ``until`` (monotonic) passes; those still alive."""
    alive = [pid for pid in pids if pid_alive(pid)]
    while alive and time.monotonic() < until:
        time.sleep(step)
        alive = [pid for pid in alive if pid_alive(pid)]
    return alive


def _kill_remaining(pids: set[int], deadline: float) -> None:
    """SIGTERM-then-SIGKILL any pid of ``pids`` still alive (tasks, Pool workers); returns
    once every one is gone, or after `KILL_WAIT_SECONDS` more (logged)."""
    for pid in pids:
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
    _wait_gone(pids, deadline, step=0.2)
    killed = [pid for pid in sorted(pids) if pid_alive(pid)]
    for pid in killed:
        logger.warning("pid %s ignored SIGTERM; killing it", pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    left = _wait_gone(killed, time.monotonic() + KILL_WAIT_SECONDS, step=0.05)
    if left:
        logger.warning("pid(s) %s still there %.0fs after SIGKILL", left, KILL_WAIT_SECONDS)

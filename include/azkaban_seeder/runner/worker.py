"""The per-project job executed by pool workers (or in-process when ``processes == 1``).

This module is imported by spawned children, so it stays importable on its own and never
imports Airflow. Each process builds one `AzkabanClient` in `init_worker` (one login per
process, reused for every project it handles). Workers return `ProjectResult` records; no
exception ever crosses the process boundary.

Per project: generate the flows and stream them into a temporary zip, load that zip with the
same loader the sandbox uses (flow ids must equal the planned set), create the project if
needed (`POST /manager action=create`), upload it (multipart `POST /manager ajax=upload`) and,
when the spec asks for schedules, upsert one cron schedule per flow
(`/schedule ajax=scheduleCronFlow`).
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from azkaban_seeder.archive import write_project_zip
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, RetryPolicy
from azkaban_seeder.flows import expected_flow_ids, flow_cron, flow_id_for
from azkaban_seeder.loaders import InstallError, load_project_zip
from azkaban_seeder.plan import ProjectPlan
from azkaban_seeder.runner.lifeline import die_with_parent
from azkaban_seeder.runner.results import ProjectResult
from azkaban_seeder.spec import EnvSpec, RunOptions

logger = logging.getLogger(__name__)

# Test-only hooks, read from the environment (inherited by spawned children): the worker
# handling the named project exits abruptly / hangs, to exercise the pool's failure handling.
CRASH_ENV = "AZKABAN_SEEDER_TEST_CRASH_ON"
HANG_ENV = "AZKABAN_SEEDER_TEST_HANG_ON"


class PreUploadCheckError(Exception):
    """The zip we built does not load into exactly the planned flows (a bug on our side)."""


def _retry_counts(client: AzkabanClient) -> Counter[str]:
    """Snapshot of the client's retried attempts by reason."""
    return Counter({str(k): int(v) for k, v in client.stats.retries.items()})


def _attempts(client: AzkabanClient) -> int:
    """HTTP requests tried so far by this client (first tries and retries)."""
    return int(client.stats.attempts)


@dataclass
class WorkerContext:
    """Everything one process needs to build projects: the spec, options and its own client."""

    spec: EnvSpec
    options: RunOptions
    client: AzkabanClient

    def build(self, project: ProjectPlan) -> ProjectResult:
        """Build, check, upload (and schedule) one project; failures become ``error``."""
        started = time.monotonic()
        retries_before = _retry_counts(self.client)
        attempts_before = _attempts(self.client)
        result = ProjectResult(project=project.name)
        try:
            _test_hooks(project.name)
            with tempfile.TemporaryDirectory(prefix="azkaban-seeder-") as tmp:
                self._build_into(project, Path(tmp), result)
        except Exception as exc:  # recorded, never raised across the process boundary
            logger.warning("project %s failed: %s", project.name, _describe(exc))
            result.error = _describe(exc)
        result.retries = dict(_retry_counts(self.client) - retries_before)
        result.attempts = _attempts(self.client) - attempts_before
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _build_into(self, project: ProjectPlan, tmp: Path, result: ProjectResult) -> None:
        zip_path = tmp / f"{project.name}.zip"
        summary = write_project_zip(self.spec, project, zip_path)
        check_zip(zip_path, project, tmp / "check")
        self.client.ensure_project(project.name)
        # No per-project re-read of the flow list here: the zip was checked above and
        # `verify` compares every project afterwards; one request less per project.
        self.client.upload_project(project.name, zip_path, timeout=self.options.upload_timeout)
        result.flows = int(summary.flows)
        result.bytes = int(summary.bytes)
        if self.spec.schedule != "off":
            result.scheduled = self._schedule(project)

    def _schedule(self, project: ProjectPlan) -> int:
        """Upsert one cron schedule per flow (`/schedule ajax=scheduleCronFlow`)."""
        count = 0
        for index in project.flow_indexes:
            cron = flow_cron(self.spec, index)
            if cron is None:
                continue
            self.client.schedule_cron_flow(project.name, flow_id_for(index), cron)
            count += 1
        return count


def make_client(settings: ConnectionSettings, options: RunOptions) -> AzkabanClient:
    """A client whose retry bounds come from the run options."""
    policy = RetryPolicy(attempts=options.retry_attempts, max_seconds=options.retry_max_seconds)
    return AzkabanClient(settings, retry=policy)


def check_zip(zip_path: Path, project: ProjectPlan, workdir: Path) -> None:
    """Pre-upload check through the shared loader: no errors, top-level flows == the plan."""
    try:
        loaded = load_project_zip(zip_path, workdir=workdir)
    except InstallError as exc:
        raise PreUploadCheckError(f"zip would not install: {exc.message}") from exc
    if loaded.errors:
        raise PreUploadCheckError(f"loader errors: {'; '.join(loaded.errors[:3])}")
    actual = {fid for fid, flow in loaded.flows.items() if not flow.embedded}
    expected = set(expected_flow_ids(project))
    if actual != expected:
        missing = sorted(expected - actual)[:3]
        extra = sorted(actual - expected)[:3]
        raise PreUploadCheckError(
            f"flow ids differ from the plan: missing {missing}, unexpected {extra}"
        )


def _describe(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"


def _test_hooks(project_name: str) -> None:
    if os.environ.get(CRASH_ENV) == project_name:
        os._exit(9)
    if os.environ.get(HANG_ENV) == project_name:
        time.sleep(3600)


# --- process-pool entry points (module level so spawned children can import them) ---

# This process's context, set by `init_worker` (a dict, so no `global` statement is needed).
_STATE: dict[str, WorkerContext] = {}


def init_worker(
    spec: EnvSpec, settings: ConnectionSettings, options: RunOptions, parent_pid: int
) -> None:
    """Pool initializer: guard against orphaning, then build this process's client."""
    die_with_parent(parent_pid)
    # Ctrl-C reaches the whole process group; the parent decides and terminates us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STATE["context"] = WorkerContext(
        spec=spec, options=options, client=make_client(settings, options)
    )


def run_project(project: ProjectPlan) -> ProjectResult:
    """Pool task: build one project with this process's context."""
    context = _STATE.get("context")
    if context is None:
        return ProjectResult(project=project.name, error="worker not initialised")
    return context.build(project)

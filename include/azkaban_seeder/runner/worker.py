"""The per-project job executed by pool workers (or in-process when ``processes == 1``).

This module is imported by pool children (the fork server preloads it), so it stays
importable on its own and never imports Airflow. Each process builds one `AzkabanClient` in
`init_worker` (one login per process, reused for every project it handles). Workers return
`ProjectResult` records; no exception ever crosses the process boundary.

Per project, all in this process's memory (`checked_zip`): generate the flows and write them
into a zip, check that zip with the same loader the sandbox uses (flow ids must equal the
planned set), create the project if needed (`POST /manager action=create`), upload it
(multipart `POST /manager ajax=upload`) and, when the spec asks for schedules, upsert one cron
schedule per flow (`/schedule ajax=scheduleCronFlow`). Local work and uploads overlap across
the pool's processes, not inside one: a worker is a single thread (docs/runner.md, "One
thread per worker").

`init_worker` takes an optional ``setup`` callable that each worker process runs last (the
runner's tests use it to make a worker crash or hang). It crosses the spawn boundary by
pickling, so it must be a module-level function (or a ``functools.partial`` of one) in a
module the children can import.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import signal
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azkaban_seeder import __version__
from azkaban_seeder.archive import ZipSummary, build_project_zip_bytes
from azkaban_seeder.archive.listing import UnreadableArchive, list_entries
from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, HealthBoard, RetryPolicy
from azkaban_seeder.flows import expected_flow_ids, flow_id_for, has_schedules, schedule_of
from azkaban_seeder.loaders import InstallError, load_project_entries
from azkaban_seeder.plan import ProjectPlan
from azkaban_seeder.runner import inflight
from azkaban_seeder.runner.errors import PreUploadCheckError
from azkaban_seeder.runner.lifeline import die_with_parent
from azkaban_seeder.runner.results import ProjectResult
from azkaban_seeder.runner.worker_logs import attach as attach_logging
from azkaban_seeder.runner.worker_logs import current_project
from azkaban_seeder.spec import EnvSpec, RunOptions

logger = logging.getLogger(__name__)

#: Run once in each worker process after its context is built (see `init_worker`).
WorkerSetup = Callable[[], None]


def _retry_counts(client: AzkabanClient) -> Counter[str]:
    """Snapshot of the client's retried attempts by reason."""
    return Counter({str(k): int(v) for k, v in client.stats.retries.items()})


def _attempts(client: AzkabanClient) -> int:
    """HTTP requests tried so far by this client (first tries and retries)."""
    return int(client.stats.attempts)


@dataclass
class WorkerContext:
    """Everything one process needs to build projects: spec, options, its own client and the
    runner's scratch directory (`scratch`: where in-flight notes go)."""

    spec: EnvSpec
    options: RunOptions
    client: AzkabanClient
    scratch: Path

    def close(self) -> None:
        """Close the client."""
        self.client.close()

    def build(self, project: ProjectPlan, *, compare: bool = True) -> ProjectResult:
        """Build, check, upload (and schedule) one project; failures become ``error``.

        ``compare``: check first whether the server already holds this very content (False
        when the runner's drift check has decided it).
        """
        started = time.monotonic()
        retries_before = _retry_counts(self.client)
        attempts_before = _attempts(self.client)
        result = ProjectResult(project=project.name)

        def tried() -> inflight.Tried:
            return inflight.Tried(
                attempts=_attempts(self.client) - attempts_before,
                retries=dict(_retry_counts(self.client) - retries_before),
            )

        noted = False

        def note_retry() -> None:
            # If the runner abandons this project, the note is all it will know of it. Best
            # effort: a note that cannot be written must not break the retry it reports.
            nonlocal noted
            try:
                inflight.note(self.scratch, project.name, tried())
            except OSError as exc:
                logger.debug("no in-flight note for %s: %s", project.name, exc)
                return
            noted = True

        # Names the project in every record this thread logs meanwhile (see worker_logs).
        token = current_project.set(project.name)
        self.client.stats.on_retry = note_retry
        try:
            self._build_into(project, result, compare=compare)
        except Exception as exc:  # recorded, never raised across the process boundary
            logger.warning("project %s failed: %s", project.name, _describe(exc))
            result.error = _describe(exc)
        finally:
            self.client.stats.on_retry = None
            current_project.reset(token)
        if noted:
            inflight.clear(self.scratch, project.name)
        counts = tried()
        result.retries = counts.retries
        result.attempts = counts.attempts
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _build_into(
        self, project: ProjectPlan, result: ProjectResult, *, compare: bool = True
    ) -> None:
        stored_as = upload_name(project.name, content_key(self.spec, project))
        # Normally decided by the runner's drift check (`runner.drift`) before any worker
        # starts; here only for projects it could not check. Skipping writes nothing, so
        # it needs no ownership check (an upload checks, in `ensure_project`).
        compare = compare and not self.options.force
        if compare and self.client.uploaded_file_name(project.name) == stored_as:
            result.action = "skipped"
            result.flows = project.flow_count
            return
        data, summary = checked_zip(self.spec, project)
        created = self.client.ensure_project(project.name)
        # No per-project re-read of the flow list here: the zip was checked above and
        # `verify` compares every project afterwards; one request less per project.
        self.client.upload_project(
            project.name, data, timeout=self.options.upload_timeout, file_name=stored_as
        )
        result.action = "uploaded" if created else "repaired"
        result.flows = int(summary.flows)
        result.bytes = int(summary.bytes)
        if has_schedules(self.spec):
            result.scheduled = self._schedule(project)

    def _schedule(self, project: ProjectPlan) -> int:
        """Upsert one cron schedule per flow (`/schedule ajax=scheduleCronFlow`)."""
        count = 0
        for index in project.flow_indexes:
            cron = schedule_of(self.spec, index)
            if cron is None:
                continue
            self.client.schedule_cron_flow(project.name, flow_id_for(index), cron)
            count += 1
        return count


def retry_policy(options: RunOptions) -> RetryPolicy:
    """The run options' retry bounds (attempts, total time, outage window)."""
    return RetryPolicy(
        attempts=options.retry_attempts,
        max_seconds=options.retry_max_seconds,
        outage_seconds=options.outage_seconds,
    )


#: Bumped when the zip writers change their output for the same spec.
CONTENT_FORMAT = 2


def content_key(spec: EnvSpec, project: ProjectPlan) -> str:
    """A digest of everything a project's zip and schedules are made from: the spec (minus
    the sharding knobs), the project's flows, the profile file's bytes, the package and zip
    format versions. Zips are deterministic functions of these, so equal keys mean equal
    content; the key is known before any zip is built."""
    values = spec.to_dict()
    for name in ("projects_per_shard", "max_map_length", "parallel_shards"):
        values.pop(name, None)
    values.update(
        project=project.to_dict(),
        profile_digest=_file_digest(spec.profile) if spec.profile else "",
        package=__version__,
        format=CONTENT_FORMAT,
    )
    text = json.dumps(values, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


@functools.lru_cache(maxsize=8)
def _file_digest(path: str) -> str:
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=16).hexdigest()


def upload_name(project: str, key: str) -> str:
    """The file name a project's zip is uploaded under: it carries the content key, and the
    server hands it back on download, so an unchanged project is recognised (and a hand
    re-upload, which stores another name, is not mistaken for ours)."""
    return f"{project}-{key}.zip"


def make_client(
    settings: ConnectionSettings, options: RunOptions, health: HealthBoard | None = None
) -> AzkabanClient:
    """A client whose retry bounds come from the run options, on the run's health board."""
    return AzkabanClient(settings, retry=retry_policy(options), health=health)


def checked_zip(spec: EnvSpec, project: ProjectPlan) -> tuple[bytes, ZipSummary]:
    """The zip of ``project``, written in memory and checked (`check_zip`), with its summary.

    Memory, not a file: a project's zip is tens of KiB (a few MiB at the largest
    ``flows_per_project``), and files cost a dozen system calls per project, each of which
    gives up the interpreter lock and waits to get it back."""
    entries: list[tuple[str, bytes]] = []
    data, summary = build_project_zip_bytes(spec, project, keep=entries)
    check_zip(data, project, entries)
    return data, summary


def check_zip(data: bytes, project: ProjectPlan, entries: list[tuple[str, bytes]]) -> None:
    """Pre-upload check of a zip (``data``) just written from ``entries``, before anything is
    sent:

    * the container: the archive's directory (read back by `archive.listing`) lists exactly
      those entries, in order, with their CRC-32 and sizes, each local header where the
      directory points;
    * the content: the shared loader (the sandbox's) finds no errors in those entries, and
      the top-level flow ids equal the planned set.

    The entries are loaded from memory rather than unzipped again: decompressing every
    entry was half the check's time, and what it would catch (a broken deflate stream) is
    covered by the writer's tests against zipfile, unzip and Java."""
    try:
        listed = list_entries(data)
    except UnreadableArchive as exc:
        raise PreUploadCheckError(f"zip would not install: unreadable archive ({exc})") from exc
    written = [(name, zlib.crc32(content), len(content)) for name, content in entries]
    if listed != written:
        raise PreUploadCheckError(
            f"the archive lists {len(listed)} entries, not the {len(written)} written"
            if len(listed) != len(written)
            else "the archive's entries differ from those written (name, CRC or size)"
        )
    try:
        loaded = load_project_entries(entries)
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


# --- process-pool entry points (module level so pool children can import them) ---

# This process's context, set by `init_worker` (a dict, so no `global` statement is needed).
_STATE: dict[str, WorkerContext] = {}


def make_context(
    spec: EnvSpec,
    settings: ConnectionSettings,
    options: RunOptions,
    scratch: str,
    health: HealthBoard | None = None,
) -> WorkerContext:
    """A context with a fresh client (one login, reused) and the runner's scratch directory."""
    return WorkerContext(
        spec=spec,
        options=options,
        client=make_client(settings, options, health),
        scratch=Path(scratch),
    )


def init_worker(
    spec: EnvSpec,
    settings: ConnectionSettings,
    options: RunOptions,
    scratch: str,
    parent_pid: int,
    log_level: int = logging.WARNING,
    setup: WorkerSetup | None = None,
    log_queue: Any = None,
    health: HealthBoard | None = None,
) -> None:
    """Pool initializer: guard against orphaning, send this process's log records to the
    parent (``log_queue``, see `worker_logs`; at the parent's ``log_level``), build this
    process's context, then run ``setup`` (if any)."""
    die_with_parent(parent_pid)
    if log_queue is not None:
        attach_logging(log_queue, log_level)
    # Ctrl-C reaches the whole process group; the parent decides and terminates us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STATE["context"] = make_context(spec, settings, options, scratch, health)
    if setup is not None:
        setup()


def ready() -> int:
    """Pool task: answers (with this worker's pid) once the worker has started; the runner's
    head start (`headstart`) takes it as "the pool is up". No request here: a server in an
    outage must not hold up the answer."""
    return os.getpid()


def run_project(project: ProjectPlan, compare: bool = True) -> ProjectResult:
    """Pool task: build one project with this process's context; ``compare``: see
    `WorkerContext.build`."""
    context = _STATE.get("context")
    if context is None:
        return ProjectResult(project=project.name, error="worker not initialised")
    return context.build(project, compare=compare)

"""Uploads: the servlet's pre-checks, loading through the shared loaders, persisting a version.

Reference 4.2, 5 and 6. Loading runs in parallel; the persist step of one project runs under
its per-project lock (after the cost model's emulated latency), so versions are distinct.
Nothing is stored when loading fails. Test controls can make uploads of chosen projects fail
(`rejections`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from azkaban_sandbox import errors
from azkaban_sandbox.clock import SandboxClock
from azkaban_sandbox.costs import CostModel
from azkaban_sandbox.models.flows import encode
from azkaban_sandbox.models.projects import ProjectsModel
from azkaban_sandbox.store.records import ProjectRecord, VersionRow
from azkaban_seeder.loaders import InstallError, LoadResult, load_project_zip

logger = logging.getLogger(__name__)

ACCEPTED_CONTENT_TYPES = (
    "application/zip",
    "application/x-zip-compressed",
    "application/octet-stream",
)
VERSION_RETENTION = 3  # project.version.retention
FILE_NAME_COLUMN = 128  # project_versions.file_name VARCHAR(128)


@dataclass
class Upload:
    """The zip part of an upload: the loader accepts bytes or a spooled file path."""

    file_name: str
    payload: bytes | Path
    size: int


@dataclass
class UploadStats:
    """Counters for `/_sandbox/stats`."""

    ok: int = 0
    failed: int = 0
    flows: int = 0
    bytes: int = 0


def extension(file_name: str) -> str:
    """The servlet's file type: the text after the last dot, lower-cased; '' without a dot."""
    _, dot, ext = file_name.rpartition(".")
    return ext.lower() if dot else ""


def check_file(file_name: str, content_type: str | None) -> None:
    """The servlet's extension and part content-type checks (HTTP 400)."""
    ext = extension(file_name)
    if ext != "zip":
        raise errors.UploadRejected(400, errors.BAD_EXTENSION.format(ext=ext))
    if content_type is None or not content_type.startswith(ACCEPTED_CONTENT_TYPES):
        raise errors.UploadRejected(400, errors.BAD_CONTENT_TYPE.format(ct=content_type))


def _install_failed(project: ProjectRecord, message: str) -> errors.UploadRejected:
    if len(message) > errors.INSTALL_MESSAGE_LIMIT:
        message = message[: errors.INSTALL_MESSAGE_LIMIT] + errors.TOO_MANY_ERRORS
    return errors.UploadRejected(500, errors.INSTALL_FAILED + message, project)


class UploadsModel:
    """Upload rules, counters and stored zips; thread-safe."""

    def __init__(
        self, projects: ProjectsModel, clock: SandboxClock, costs: CostModel, files_dir: Path
    ) -> None:
        self.projects = projects
        self.clock = clock
        self.costs = costs
        self.files_dir = files_dir
        self.rejections: dict[str, str] = {}
        self._stats = UploadStats()
        self._stats_lock = threading.Lock()

    def stats(self) -> UploadStats:
        """A snapshot of the counters."""
        with self._stats_lock:
            return replace(self._stats)

    def set_rejections(self, rejections: dict[str, str]) -> None:
        """Uploads to these projects (lower-cased names) fail with the given install message."""
        self.rejections = dict(rejections)

    def target(self, user: str, name: str | None) -> ProjectRecord:
        """Upload pre-checks of `validateUploadAndGetProject`, in the servlet's order."""
        if not name:
            raise errors.UploadRejected(400, errors.NO_PROJECT_NAME)
        project = self.projects.get(name)
        if project is None:
            if self.projects.was_removed(name):
                raise errors.UploadRejected(410, errors.UPLOAD_REMOVED.format(name=name))
            raise errors.UploadRejected(410, errors.UPLOAD_NO_PROJECT.format(name=name))
        if not self.projects.has_permission(user, project, "WRITE"):
            raise errors.UploadRejected(400, errors.UPLOAD_NO_WRITE.format(user=user))
        return project

    def _load(self, project: ProjectRecord, upload: Upload) -> LoadResult:
        rejection = self.rejections.get(project.name.lower())
        if rejection is not None:
            raise _install_failed(project, rejection)
        try:
            result: LoadResult = load_project_zip(upload.payload)
        except InstallError as exc:
            raise _install_failed(project, exc.message) from exc
        except Exception as exc:  # an unexpected loader crash is an install exception too
            logger.exception("loader failed for project %s", project.name)
            raise _install_failed(project, str(exc)) from exc
        if result.errors:
            text = errors.VALIDATOR_REPORT + "".join(m + "<br>" for m in result.errors)
            raise errors.UploadRejected(500, text[: errors.REPORT_LIMIT], project)
        return result

    def install(self, user: str, project: ProjectRecord, upload: Upload) -> int:
        """`ajax=upload` after the pre-checks: load, then persist as version + 1 (returned)."""
        try:
            result = self._load(project, upload)
        except errors.UploadRejected:
            with self._stats_lock:
                self._stats.failed += 1
            raise
        flows = [encode(f) for f in result.flows.values()]
        delay = self.costs.upload_seconds(len(flows), upload.size)
        with self.projects.lock(project.id):
            if delay:
                time.sleep(delay)
            table = self.projects.table
            version = table.max_version(project.id) + 1
            md5 = self._keep_zip(project.id, version, upload)
            row = VersionRow(
                project.id,
                version,
                upload.file_name[:FILE_NAME_COLUMN],
                upload.size,
                md5,
                result.flow_format,
                user,
                self.clock.now_ms(),
            )
            dropped = table.save_version(row, flows)
        for flow_id in dropped:
            logger.info("schedule of vanished flow %s.%s removed", project.name, flow_id)
        with self._stats_lock:
            self._stats.ok += 1
            self._stats.flows += len(flows)
            self._stats.bytes += upload.size
        logger.info("project %s version %d: %d flows", project.name, version, len(flows))
        return version

    def _keep_zip(self, project_id: int, version: int, upload: Upload) -> str:
        """Write the zip under the data dir (for download); purge versions past retention."""
        folder = self.files_dir / str(project_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{version}.zip"
        digest = hashlib.md5(usedforsecurity=False)
        if isinstance(upload.payload, Path):
            upload.payload.replace(target)
            with target.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        else:
            target.write_bytes(upload.payload)
            digest.update(upload.payload)
        for old in folder.glob("*.zip"):
            if old.stem.isdigit() and int(old.stem) <= version - VERSION_RETENTION:
                old.unlink(missing_ok=True)
        return digest.hexdigest()

    def file_name(self, project: ProjectRecord, version: int) -> str | None:
        """The name the zip of ``version`` was uploaded under (the download's file name)."""
        return self.projects.table.version_file_name(project.id, version)

    def zip_path(self, project: ProjectRecord, version: int | None) -> Path | None:
        """Stored zip of a version (current by default), if still retained."""
        path = self.files_dir / str(project.id) / f"{version or project.version}.zip"
        return path if path.exists() else None

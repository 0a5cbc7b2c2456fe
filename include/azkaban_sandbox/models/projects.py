"""Projects: names, creation, permissions, listing and (soft) deletion (reference 3, 4.1, 4.5, 4.6).

Creation runs under one global lock (ProjectManager is `synchronized`); `lock(project_id)` is
the per-project lock that uploads persist under and deletes take.
"""

from __future__ import annotations

import logging
import re
import threading

from azkaban_sandbox import errors
from azkaban_sandbox.clock import SandboxClock
from azkaban_sandbox.store.projects import ProjectTable
from azkaban_sandbox.store.records import ProjectRecord
from azkaban_sandbox.users import UserManager

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z_0-9|-]*")
NAME_COLUMN = 64  # projects.name VARCHAR(64)
DESCRIPTION_COLUMN = 2048  # projects.description VARCHAR(2048)


class ProjectsModel:
    """Project state and rules; thread-safe."""

    def __init__(self, table: ProjectTable, clock: SandboxClock, users: UserManager) -> None:
        self.table = table
        self.clock = clock
        self.users = users
        self._create_lock = threading.Lock()
        self._locks_guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}

    def get(self, name: str | None) -> ProjectRecord | None:
        """The active project with this name (case-insensitive), like InMemoryProjectCache."""
        return self.table.active(name) if name else None

    def active_by_id(self, project_id: int) -> ProjectRecord | None:
        """The project with this id, unless it was deleted."""
        project = self.table.by_id(project_id)
        return project if project is not None and project.active else None

    def was_removed(self, name: str) -> bool:
        """Whether a deleted project had this name."""
        return self.table.inactive(name) is not None

    def lock(self, project_id: int) -> threading.Lock:
        """The per-project lock (upload persists, deletes)."""
        with self._locks_guard:
            return self._locks.setdefault(project_id, threading.Lock())

    def has_permission(self, user: str, project: ProjectRecord, ptype: str) -> bool:
        """LAS `hasPermission`: the creator has ADMIN; roles grant their types globally."""
        roles = self.users.role_types(user)
        if ptype in roles or "ADMIN" in roles:
            return True
        return user == project.created_by

    def user_permissions(self, project: ProjectRecord) -> list[tuple[str, tuple[str, ...]]]:
        """Direct user permissions: the creator is the project's ADMIN."""
        return [(project.created_by, ("ADMIN",))]

    def create(self, user: str, name: str | None, description: str | None) -> ProjectRecord:
        """`POST /manager action=create`: checks in ProjectManager.createProject order."""
        if not name or not name.strip():
            raise errors.ModelError(errors.NAME_EMPTY)
        if not description or not description.strip():
            raise errors.ModelError(errors.DESCRIPTION_EMPTY)
        if not NAME_RE.fullmatch(name):
            raise errors.ModelError(errors.NAME_INVALID)
        with self._create_lock:
            if self.table.active(name) is not None:
                raise errors.ModelError(errors.PROJECT_EXISTS)
            if len(name) > NAME_COLUMN or len(description) > DESCRIPTION_COLUMN:
                # VARCHAR(64)/VARCHAR(2048) overflow: the DB insert fails.
                raise errors.ModelError(errors.INSERT_FAILED.format(name=name))
            project_id = self.table.insert(name, description, user, self.clock.now_ms())
        logger.info("project %s created by %s", name, user)
        project = self.table.by_id(project_id)
        assert project is not None
        return project

    def delete(self, user: str, name: str) -> ProjectRecord:
        """`GET /manager?delete=true&project=P`: needs ADMIN; drops schedules, soft-deletes."""
        project = self.get(name)
        if project is None:
            raise errors.DeleteRefused(errors.DELETE_NO_PROJECT.format(name=name), "/")
        if not self.has_permission(user, project, "ADMIN"):
            location = f"/manager?project={name}"
            raise errors.DeleteRefused(errors.DELETE_NOT_ADMIN.format(user=user), location)
        with self.lock(project.id):
            self.table.deactivate(project.id, user, self.clock.now_ms())
        logger.info("project %s deleted by %s", project.name, user)
        return project

    def all(self) -> list[ProjectRecord]:
        """`fetchallprojects`: every active project, no permission filter."""
        return self.table.all_active()

    def of_user(self, user: str) -> list[ProjectRecord]:
        """`fetchuserprojects`: projects where the user has a direct ADMIN/READ permission."""
        return [p for p in self.table.all_active() if p.created_by == user]

    def count(self) -> int:
        """Active projects (for stats)."""
        return len(self.table.all_active())

    def flow_count(self) -> int:
        """Flows of active projects, embedded included (for stats)."""
        return self.table.flow_count()

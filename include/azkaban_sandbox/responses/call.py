"""What a handler gets (`Call`) and the `/manager` ajax harness (`manager_ajax`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.models import Backend
from azkaban_sandbox.responses.params import require
from azkaban_sandbox.sessions import Session
from azkaban_sandbox.store import ProjectRecord
from azkaban_sandbox.wire import Reply, Request, pretty_json


@dataclass
class Call:
    """The backend, the request and the authenticated session."""

    backend: Backend
    req: Request
    session: Session

    @property
    def user(self) -> str:
        """The session's user id."""
        return self.session.user


Handler = Callable[[Call], Reply]
ProjectHandler = Callable[[Call, ProjectRecord, dict[str, Any]], None]


def manager_ajax(handler: ProjectHandler) -> Handler:
    """`handleAJAXAction`: `project` is required, looked up, echoed with its projectId."""

    def wrapped(call: Call) -> Reply:
        name = require(call.req, "project")
        ret: dict[str, Any] = {"project": name}
        project = call.backend.projects.get(name)
        if project is None:
            ret["error"] = errors.MANAGER_NO_PROJECT.format(name=name)
        else:
            ret["projectId"] = project.id
            handler(call, project, ret)
        return pretty_json(ret)

    wrapped.__doc__ = handler.__doc__
    return wrapped


def allowed(call: Call, project: ProjectRecord, ptype: str, ret: dict[str, Any]) -> bool:
    """The /manager permission check: on failure adds "Permission denied. Need X access."."""
    if call.backend.projects.has_permission(call.user, project, ptype):
        return True
    ret["error"] = errors.NEED_PERMISSION.format(type=ptype)
    return False

"""Project endpoints: create, delete, download (`/manager`) and the listings of `/index`."""

from __future__ import annotations

from typing import Any

from azkaban_sandbox import errors
from azkaban_sandbox.models.projects import ProjectsModel
from azkaban_sandbox.responses.call import Call, allowed
from azkaban_sandbox.responses.params import int_param, require
from azkaban_sandbox.store import ProjectRecord
from azkaban_sandbox.wire import (
    FAILURE_COOKIE,
    SUCCESS_COOKIE,
    Reply,
    compact_json,
    pretty_json,
    redirect,
)


def create_project(call: Call) -> Reply:
    """`POST /manager action=create`: compact JSON, no Content-Type (createJsonResponse)."""
    name = call.req.param("name")
    try:
        call.backend.projects.create(call.user, name, call.req.param("description"))
    except errors.ModelError as exc:
        return compact_json({"status": "error", "message": exc.message})
    return compact_json(
        {"status": "success", "action": "redirect", "path": f"manager?project={name}"}
    )


def delete_project(call: Call) -> Reply:
    """`GET /manager?delete=true&project=P`: always a 302 with a message cookie."""
    name = require(call.req, "project")
    try:
        call.backend.projects.delete(call.user, name)
    except errors.DeleteRefused as exc:
        return redirect(exc.location, [(FAILURE_COOKIE, exc.message)])
    return redirect("/", [(SUCCESS_COOKIE, errors.DELETE_OK.format(name=name))])


def download(call: Call) -> Reply:
    """`GET /manager?project=P&download=true[&version=V]`: the stored zip."""
    name = require(call.req, "project")
    project = call.backend.projects.get(name)
    if project is None:
        return redirect("/", [(FAILURE_COOKIE, errors.MANAGER_NO_PROJECT.format(name=name))])
    version = int_param(call.req, "version", project.version)
    path = call.backend.uploads.zip_path(project, version)
    if path is None:
        message = f"Version {version} of project {name} is not available."
        return redirect(f"/manager?project={name}", [(FAILURE_COOKIE, message)])
    reply = Reply(200, path.read_bytes(), "application/zip")
    # The real server names the file as it was uploaded (projectFileHandler.getFileName()).
    stored = call.backend.uploads.file_name(project, version) or f"{name}.zip"
    reply.headers += [
        ("Content-Disposition", f'attachment; filename="{stored}"'),
        ("version", str(version)),
        ("projectId", str(project.id)),
    ]
    return reply


def project_json(projects: ProjectsModel, project: ProjectRecord) -> dict[str, Any]:
    """Project object of `fetchallprojects` / `fetchuserprojects`."""
    return {
        "projectId": project.id,
        "projectName": project.name,
        "createdBy": project.modified_by,  # sic: the last-modified user
        "createdTime": project.created_time,
        "userPermissions": [
            {"first": user, "second": {"types": list(types)}}
            for user, types in projects.user_permissions(project)
        ],
        "groupPermissions": [],
    }


def fetch_all_projects(call: Call) -> Reply:
    """`GET /index?ajax=fetchallprojects`."""
    projects = call.backend.projects
    return pretty_json({"projects": [project_json(projects, p) for p in projects.all()]})


def fetch_user_projects(call: Call) -> Reply:
    """`GET /index?ajax=fetchuserprojects[&user=U]`."""
    user = call.req.param("user") or call.user
    projects = call.backend.projects
    return pretty_json({"projects": [project_json(projects, p) for p in projects.of_user(user)]})


def get_project_id(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=getProjectId`: project and projectId only."""


def get_permissions(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """`ajax=getPermissions`: user permissions of the project."""
    if allowed(call, project, "READ", ret):
        ret["permissions"] = [
            {"username": user, "permission": list(types)}
            for user, types in call.backend.projects.user_permissions(project)
        ]


def unknown_manager_ajax(call: Call, project: ProjectRecord, ret: dict[str, Any]) -> None:
    """Unknown ajax name under /manager."""
    ret["error"] = errors.UNKNOWN_COMMAND.format(name=call.req.param("ajax"))

"""A thin raw-HTTP Azkaban client over requests, for the conformance tests."""

from __future__ import annotations

import logging
from typing import Any, Protocol

import requests

logger = logging.getLogger(__name__)

TIMEOUT = 30


class Az:
    """Raw calls the way any HTTP client would make them; remembers the projects it created."""

    def __init__(self, url: str, user: str = "azkaban", password: str = "azkaban") -> None:
        self.url = url
        self.user = user
        self.password = password
        self.http = requests.Session()
        self.session_id: str | None = None
        self.created: list[str] = []

    @classmethod
    def of(cls, handle: SandboxLike) -> Az:
        """A client (not logged in) for a fixture's server, with its credentials."""
        return cls(handle.url, handle.user, handle.password)

    def login(self, user: str | None = None, password: str | None = None) -> str:
        """POST action=login; stores and returns the session id."""
        reply = self.http.post(
            self.url,
            data={
                "action": "login",
                "username": user or self.user,
                "password": password or self.password,
            },
            timeout=TIMEOUT,
        )
        self.session_id = reply.json()["session.id"]
        self.http.cookies.clear()  # pass the id explicitly, as API clients do
        return self.session_id

    def get(self, path: str, **params: Any) -> requests.Response:
        """GET with session.id as a query parameter."""
        params.setdefault("session.id", self.session_id)
        return self.http.get(self.url + path, params=params, timeout=TIMEOUT, allow_redirects=False)

    def post(self, path: str, **data: Any) -> requests.Response:
        """url-encoded POST with session.id in the body and the XHR header."""
        data.setdefault("session.id", self.session_id)
        return self.http.post(
            self.url + path,
            data=data,
            timeout=TIMEOUT,
            headers={"X-Requested-With": "XMLHttpRequest"},
            allow_redirects=False,
        )

    def track(self, name: str) -> str:
        """Remember a project to delete in `cleanup()`."""
        self.created.append(name)
        return name

    def create(self, name: str, description: str = "test project") -> dict[str, Any]:
        """POST /manager action=create (a created project is tracked for cleanup)."""
        reply = self.post("/manager", action="create", name=name, description=description)
        result: dict[str, Any] = reply.json()
        if result.get("status") == "success":
            self.track(name)
        return result

    def project_id(self, name: str) -> int:
        """ajax=getProjectId."""
        return int(self.get("/manager", ajax="getProjectId", project=name).json()["projectId"])

    def upload(
        self,
        project: str | None,
        data: bytes,
        filename: str = "project.zip",
        content_type: str = "application/zip",
        **fields: Any,
    ) -> requests.Response:
        """Multipart POST /manager ajax=upload (session.id as a form field)."""
        form = {"ajax": "upload", "project": project, "session.id": self.session_id}
        form.update(fields)
        return self.http.post(
            self.url + "/manager",
            data={k: v for k, v in form.items() if v is not None},
            files={"file": (filename, data, content_type)},
            timeout=TIMEOUT,
        )

    def flows(self, project: str) -> list[str]:
        """fetchprojectflows -> sorted flow ids."""
        reply = self.get("/manager", ajax="fetchprojectflows", project=project).json()
        return sorted(f["flowId"] for f in reply["flows"])

    def project_names(self) -> list[str]:
        """fetchallprojects -> project names, by id."""
        projects = self.get("/index", ajax="fetchallprojects").json()["projects"]
        return [p["projectName"] for p in projects]

    def cleanup(self) -> None:
        """Delete the tracked projects (with a fresh session; failures are only logged)."""
        if not self.created:
            return
        try:
            self.login()
            for name in dict.fromkeys(self.created):
                self.get("/manager", delete="true", project=name)
        except requests.RequestException as exc:
            logger.warning("cleanup of %s failed: %s", self.created, exc)
        self.created.clear()


class SandboxLike(Protocol):
    """What the `sandbox` fixtures yield (tests/conftest.py `SandboxHandle`, or a remote one)."""

    url: str
    server: Any
    user: str
    password: str

"""A thin raw-HTTP Azkaban client over requests, for sandbox conformance tests."""

from __future__ import annotations

from typing import Any, Protocol

import requests

from azkaban_sandbox import SandboxServer

TIMEOUT = 30


class Az:
    """Raw calls against the sandbox, the way any HTTP client would make them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.session_id: str | None = None
        self.server: Any = None  # set by fixtures that need test control

    def login(self, user: str = "azkaban", password: str = "azkaban") -> str:
        """POST action=login; stores and returns the session id."""
        reply = self.http.post(
            self.url,
            data={"action": "login", "username": user, "password": password},
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

    def create(self, name: str, description: str = "test project") -> dict[str, Any]:
        """POST /manager action=create."""
        reply = self.post("/manager", action="create", name=name, description=description)
        result: dict[str, Any] = reply.json()
        return result

    def upload(
        self,
        project: str,
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


class SandboxLike(Protocol):
    """What the `sandbox` fixtures yield (tests/conftest.py `SandboxHandle`)."""

    url: str
    server: SandboxServer

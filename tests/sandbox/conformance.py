"""Where the sandbox conformance tests run: the in-process sandbox, or a real Azkaban server.

Verified mode (like moto's): with `AZKABAN_CONFORMANCE_URL` set (and `AZKABAN_CONFORMANCE_USER`,
`AZKABAN_CONFORMANCE_PASSWORD`, default azkaban/azkaban) the fixtures of this folder point at
that server instead of starting a sandbox. Tests marked `sandbox_only` (test controls, clock,
costs, faults, config-made users, restarts, sandbox internals) or `fresh_server` (they rely on an
empty server: ids from 1, empty listings) are skipped there; the rest use unique project names
and delete what they created.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

URL_VAR = "AZKABAN_CONFORMANCE_URL"
USER_VAR = "AZKABAN_CONFORMANCE_USER"
PASSWORD_VAR = "AZKABAN_CONFORMANCE_PASSWORD"


@dataclass(frozen=True)
class Target:
    """The server under test: `url` None means the in-process sandbox."""

    url: str | None
    user: str = "azkaban"
    password: str = "azkaban"

    @property
    def verified(self) -> bool:
        """Whether the tests run against an external server."""
        return self.url is not None

    @classmethod
    def from_env(cls) -> Target:
        """The target named by the environment (the sandbox when the URL is unset)."""
        url = os.environ.get(URL_VAR, "").strip().rstrip("/") or None
        user = os.environ.get(USER_VAR) or "azkaban"
        return cls(url, user, os.environ.get(PASSWORD_VAR) or "azkaban")


TARGET = Target.from_env()


@dataclass
class RemoteHandle:
    """What the `sandbox` fixtures yield in verified mode: a URL and credentials, no server."""

    url: str
    user: str
    password: str
    server: None = None


def unique(base: str, width: int | None = None) -> str:
    """A project name no other run uses: `base` plus 8 hex digits (padded/cut to `width`)."""
    tag = uuid.uuid4().hex[:8]
    if width is None:
        return base + tag
    return (base * width)[: width - len(tag)] + tag

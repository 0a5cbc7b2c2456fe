"""Shared fixtures: an in-process Azkaban sandbox server on a free loopback port.

`sandbox` (function scope) gives each test a fresh server and data dir; `sandbox_session`
(session scope) is shared by read-mostly tests, which must use unique project names.
`sandbox_factory` starts servers with a custom `SandboxConfig` (stopped after the test).
`settings` are the `ConnectionSettings` for `sandbox`. Test control: `handle.server.controls`
(or `handle.server.stats()`). tests/sandbox/conftest.py overrides the three sandbox fixtures
for its verified mode (a real server named by AZKABAN_CONFORMANCE_URL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from azkaban_sandbox import SandboxConfig, SandboxServer
from azkaban_seeder.azkaban import ConnectionSettings


@dataclass
class SandboxHandle:
    """What the fixtures yield: the base URL, the server (for test control) and a login."""

    url: str
    server: SandboxServer
    user: str = "azkaban"
    password: str = "azkaban"


def _start(data_dir: Path, **overrides: Any) -> SandboxServer:
    config = replace(SandboxConfig(port=0, data_dir=data_dir), **overrides)
    return SandboxServer(config).start()


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxHandle]]:
    """Start sandboxes with SandboxConfig overrides, e.g. factory(user_roles={...})."""
    servers: list[SandboxServer] = []

    def make(**overrides: Any) -> SandboxHandle:
        data_dir = overrides.pop("data_dir", tmp_path / f"sandbox{len(servers)}")
        server = _start(data_dir, **overrides)
        servers.append(server)
        return SandboxHandle(server.url, server)

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A fresh sandbox per test (port 0, data dir under tmp_path)."""
    server = _start(tmp_path / "sandbox")
    try:
        yield SandboxHandle(server.url, server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sandbox_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One sandbox shared by the whole session (read-mostly tests; use unique names)."""
    server = _start(tmp_path_factory.mktemp("sandbox-session"))
    try:
        yield SandboxHandle(server.url, server)
    finally:
        server.stop()


@pytest.fixture
def settings(sandbox: SandboxHandle) -> ConnectionSettings:
    """Connection settings for the per-test `sandbox` (a folder's conftest may override it)."""
    return ConnectionSettings(
        url=sandbox.url, user=sandbox.user, password=sandbox.password, timeout=15.0
    )


@pytest.fixture(autouse=True)
def _fresh_redaction_registry() -> Iterator[None]:
    """Secrets registered by one test (its passwords) must not mask text in the next."""
    from azkaban_seeder.azkaban import redaction

    redaction.forget_all()
    yield
    redaction.forget_all()

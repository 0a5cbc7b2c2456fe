"""Fixtures and markers of the sandbox conformance tests (verified mode: conformance.py).

Markers: `sandbox_only(reason)` for tests that need the sandbox itself (test controls, clock,
costs, faults, config-made users, restarts, internals) and `fresh_server` for tests that rely
on an empty server. Both are skipped, with their reason, when `AZKABAN_CONFORMANCE_URL` points
the tests at a real server; the `sandbox`/`sandbox_session` fixtures then yield that server's
URL and credentials and `sandbox_factory` skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance import TARGET, URL_VAR, RemoteHandle
from sandbox_client import Az

HERE = Path(__file__).parent
SANDBOX_ONLY = "needs the sandbox itself"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox_only(reason): needs sandbox-only controls or internals; skipped against a "
        f"real server ({URL_VAR})",
    )
    config.addinivalue_line(
        "markers",
        f"fresh_server: relies on an empty server (ids from 1, empty lists); skipped with "
        f"{URL_VAR}",
    )


def _skip_reason(item: pytest.Item) -> str | None:
    only = item.get_closest_marker("sandbox_only")
    if only is not None:
        return f"sandbox-only: {only.args[0] if only.args else SANDBOX_ONLY}"
    if item.get_closest_marker("fresh_server") is not None:
        return "needs a fresh, empty server (ids from 1, empty listings)"
    if "sandbox_factory" in getattr(item, "fixturenames", ()):
        return "sandbox-only: starts sandboxes with their own config"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not TARGET.verified:
        return
    for item in items:
        if HERE not in item.path.parents:
            continue
        reason = _skip_reason(item)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"{reason} [{URL_VAR} set]"))


def _remote() -> RemoteHandle:
    assert TARGET.url is not None
    return RemoteHandle(TARGET.url, TARGET.user, TARGET.password)


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Any:
    """The server under test: the per-test sandbox (tests/conftest.py) or the real server."""
    if TARGET.verified:
        return _remote()
    return request.getfixturevalue("sandbox")


@pytest.fixture(scope="session")
def sandbox_session(request: pytest.FixtureRequest) -> Any:
    """The shared server under test: the session sandbox or the real server."""
    if TARGET.verified:
        return _remote()
    return request.getfixturevalue("sandbox_session")


@pytest.fixture
def sandbox_factory(request: pytest.FixtureRequest) -> Any:
    """Sandboxes with their own config; there is no such thing on a real server."""
    if TARGET.verified:
        pytest.skip(f"sandbox-only: starts sandboxes with their own config [{URL_VAR} set]")
    return request.getfixturevalue("sandbox_factory")


def _client(handle: Any) -> Iterator[Az]:
    client = Az(handle.url, handle.user, handle.password)
    client.login()
    yield client
    if TARGET.verified:
        client.cleanup()
    client.http.close()


@pytest.fixture
def az(sandbox: Any) -> Iterator[Az]:
    """A logged-in raw client; in verified mode it deletes the projects it created."""
    yield from _client(sandbox)


@pytest.fixture
def az_shared(sandbox_session: Any) -> Iterator[Az]:
    """A logged-in raw client on the session-wide server."""
    yield from _client(sandbox_session)

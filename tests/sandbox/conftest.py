"""Fixtures for sandbox conformance tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_client import Az


@pytest.fixture
def az(sandbox: Any) -> Iterator[Az]:
    """A logged-in raw client on a fresh sandbox."""
    client = Az(sandbox.url)
    client.login()
    yield client
    client.http.close()


@pytest.fixture
def az_shared(sandbox_session: Any) -> Iterator[Az]:
    """A logged-in raw client on the session-wide sandbox."""
    client = Az(sandbox_session.url)
    client.login()
    yield client
    client.http.close()

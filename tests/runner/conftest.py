"""Fixtures of the runner tests: connection settings for the sandbox, a unique prefix."""

from __future__ import annotations

from typing import Any

import pytest

from azkaban_seeder.azkaban import ConnectionSettings
from unique_names import unique_prefix


@pytest.fixture
def settings(sandbox: Any) -> ConnectionSettings:
    return ConnectionSettings(
        url=sandbox.url, user="azkaban", password="azkaban", timeout=15.0, connect_timeout=3.0
    )


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A prefix unique to the test, so tests sharing one sandbox never see each other."""
    return unique_prefix(request, "t")

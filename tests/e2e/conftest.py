"""Fixtures of the end-to-end tests: one sandbox per module.

The sandbox runs in a thread of the test process; Airflow's components and task processes
reach it over loopback HTTP like they would reach a real Azkaban.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from azkaban_sandbox.server import SandboxConfig, SandboxServer


@pytest.fixture(scope="module")
def e2e_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = SandboxServer(SandboxConfig(port=0, data_dir=tmp_path_factory.mktemp("sandbox")))
    server.start()
    try:
        yield server
    finally:
        server.stop()

"""Fixtures of the Azkaban client tests: a scripted fake server and a client bound to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_azkaban_server import FakeAzkaban, make_client

from azkaban_seeder.azkaban import AzkabanClient


@pytest.fixture
def fake_azkaban() -> Iterator[FakeAzkaban]:
    server = FakeAzkaban()
    yield server
    server.stop()


@pytest.fixture
def fake_client(fake_azkaban: FakeAzkaban) -> Iterator[AzkabanClient]:
    client = make_client(fake_azkaban.url)
    yield client
    client.close()

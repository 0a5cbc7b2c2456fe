"""Profiles built once per session from the skewed sample observations; for the crawler
tests, the production stand-in (standin.py) in a sandbox with a READ-only account, and a
server that answers garbage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import standin as standin_rules
from profile_samples import Truth, skewed_observations
from standin import ADMIN, ADMIN_PASSWORD, STANDIN_FLOWS, OddServer, Standin, reader_config

from azkaban_sandbox import SandboxServer
from azkaban_seeder.profile import Observations, Profile, build_profile, dump_profile
from azkaban_seeder.profile.model import profile_to_dict

CREATED = "2026-01-31T12:00:00Z"


@pytest.fixture(scope="session")
def small_sample() -> tuple[Observations, Truth]:
    return skewed_observations(1500, seed=11)


@pytest.fixture(scope="session")
def small_profile(small_sample: tuple[Observations, Truth]) -> Profile:
    return build_profile(small_sample[0], created=CREATED)


@pytest.fixture(scope="session")
def large_sample() -> tuple[Observations, Truth]:
    return skewed_observations(10_000, seed=3)


@pytest.fixture(scope="session")
def large_profile(large_sample: tuple[Observations, Truth]) -> Profile:
    return build_profile(large_sample[0], created=CREATED)


@pytest.fixture
def profile_doc(small_profile: Profile) -> dict[str, Any]:
    """A fresh, mutable JSON document of the small profile."""
    return json.loads(json.dumps(profile_to_dict(small_profile)))


@pytest.fixture
def profile_path(small_profile: Profile, tmp_path: Path) -> Path:
    path = tmp_path / "prod.profile.json"
    dump_profile(small_profile, path)
    return path


# --------------------------------------------------------------------------- crawler tests
# The production stand-in (standin.py) in a sandbox with a READ-only account, built once per
# session (read-only tests; each resets the sandbox's request counters first), and a server
# that answers garbage.


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standin]:
    """The 300-flow stand-in, built once (read-only users of it only)."""
    server = SandboxServer(reader_config(tmp_path_factory.mktemp("standin"))).start()
    try:
        truth = standin_rules.build_standin(
            server.url, ADMIN, ADMIN_PASSWORD, standin_rules.StandinSpec(flows=STANDIN_FLOWS)
        )
        yield Standin(server.url, server, truth)
    finally:
        server.stop()


@pytest.fixture
def odd_server() -> Iterator[OddServer]:
    server = OddServer()
    yield server
    server.stop()

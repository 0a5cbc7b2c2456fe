"""Project prefixes unique to one test, so tests sharing a sandbox never see each other."""

from __future__ import annotations

import re
import time

import pytest


def unique_prefix(request: pytest.FixtureRequest, letter: str) -> str:
    """`letter` + the last 30 letters/digits of the test's name + a clock tail."""
    letters = re.sub(r"[^A-Za-z0-9]", "", request.node.name)[-30:]
    return f"{letter}{letters}{time.monotonic_ns() % 100000}"

"""The browser tests: real Debian Chromium driven by Playwright against the embedded stack.

Registers the ``browser`` marker (``-m browser`` runs only these, ``-m "not browser"`` skips
them); the tests are also ``e2e``, so ``make test-fast`` leaves them out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# e2e_support (sandbox with a private password, Connection env, log helpers) is shared.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real Chromium through the Airflow UI (Playwright)"
    )

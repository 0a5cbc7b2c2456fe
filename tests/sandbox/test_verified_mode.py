"""Verified mode works: conformance tests run against a server named by AZKABAN_CONFORMANCE_URL.

A second sandbox in its own process stands in for a real Azkaban server; a nested pytest run
points a few conformance tests at it, and the sandbox-only ones among them must skip.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conformance import PASSWORD_VAR, URL_VAR, USER_VAR

pytestmark = pytest.mark.sandbox_only("starts its own sandbox as the external server")

HERE = Path(__file__).parent
RUNNABLE = [
    "test_login_sessions.py::test_login_failures_are_json_error_with_status_200",
    "test_login_sessions.py::test_expired_session_reply_shapes",
    "test_login_sessions.py::test_form_create_with_bogus_session_gets_the_login_page",
    "test_projects.py::test_names_are_unique_case_insensitively",
    "test_projects.py::test_fetchallprojects_lists_active_projects",
    "test_upload.py::test_file_name_without_dot_has_empty_extension",
    "test_schedules.py::test_schedule_success_and_upsert_keeps_id",
]
SKIPPED = [
    "test_login_sessions.py::test_expire_all_control_call",  # /_sandbox/ control
    "test_projects.py::test_delete_needs_admin",  # config-made user
    "test_schedules.py::test_fetch_schedules_without_any_is_empty_object",  # fresh server
    "test_app.py::test_app_serves_requests_without_sockets",  # module-level sandbox_only
]


@pytest.fixture
def external(tmp_path: Path) -> Iterator[str]:
    """A sandbox in a subprocess with a non-default user, as the "real" server."""
    cmd = [sys.executable, "-m", "azkaban_sandbox", "--port", "0"]
    cmd += ["--data-dir", str(tmp_path / "ext"), "--user", "qa:Qa-Secret-1"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"listening on (http://\S+)", line)
        assert match, line
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_conformance_tests_run_against_an_external_server(external: str) -> None:
    env = {**os.environ, URL_VAR: external, USER_VAR: "qa", PASSWORD_VAR: "Qa-Secret-1"}
    nodes = [str(HERE / node) for node in RUNNABLE + SKIPPED]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *nodes],
        cwd=HERE.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    summary = out.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    skipped = int(re.search(r"(\d+) skipped", summary).group(1))  # type: ignore[union-attr]
    assert passed >= len(RUNNABLE) and skipped == len(SKIPPED), summary
    assert "sandbox-only: calls the /_sandbox/ control API" in out
    assert "needs a fresh, empty server" in out
    # the runnable tests logged in as qa and cleaned up after themselves
    login = {"action": "login", "username": "qa", "password": "Qa-Secret-1"}
    sid = requests.post(external, data=login, timeout=10).json()["session.id"]
    listed = requests.get(
        external + "/index", params={"ajax": "fetchallprojects", "session.id": sid}, timeout=10
    )
    assert listed.json() == {"projects": []}

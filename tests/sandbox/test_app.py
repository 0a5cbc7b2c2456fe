"""The socket-free `SandboxApp` (Request -> Reply) and the test controls, driven directly."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import azkaban_sandbox.control
from azkaban_sandbox import SandboxApp, SandboxConfig, SandboxControls
from azkaban_sandbox.state import SandboxState
from azkaban_sandbox.wire import LOGIN_SCRIPT_LINE, Request

pytestmark = pytest.mark.sandbox_only("drives the sandbox app without HTTP")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SandboxApp]:
    app = SandboxApp(SandboxConfig(data_dir=tmp_path))
    yield app
    app.close()


def _login(app: SandboxApp) -> str:
    form = {"action": "login", "username": "azkaban", "password": "azkaban"}
    reply = app.handle(Request.make("POST", "/", form=form))
    session_id: str = json.loads(reply.body)["session.id"]
    return session_id


def test_app_serves_requests_without_sockets(app: SandboxApp) -> None:
    sid = _login(app)
    form = {"action": "create", "name": "direct", "description": "d", "session.id": sid}
    created = app.handle(Request.make("POST", "/manager", form=form))
    assert created.content_type is None
    assert json.loads(created.body)["status"] == "success"
    listed = app.handle(Request.make("GET", "/index", f"ajax=fetchallprojects&session.id={sid}"))
    assert [p["projectName"] for p in json.loads(listed.body)["projects"]] == ["direct"]
    stats = app.handle(Request.make("GET", "/_sandbox/stats"))
    assert json.loads(stats.body)["requests"]["POST /manager create"] == 1


def test_form_post_with_bogus_session_gets_login_page(app: SandboxApp) -> None:
    form = {"action": "create", "name": "x", "description": "d", "session.id": "bogus"}
    reply = app.handle(Request.make("POST", "/manager", form=form))
    assert reply.status == 200 and reply.content_type is not None
    assert reply.content_type.startswith("text/html")
    assert LOGIN_SCRIPT_LINE in reply.body.decode().splitlines()


def test_faults_and_clock_through_the_controls(app: SandboxApp) -> None:
    sid = _login(app)
    app.controls.set_faults(rate=1.0, kinds=["drop"])
    assert app.handle(Request.make("GET", "/index", f"ajax=x&session.id={sid}")).drop
    app.controls.set_faults(rate=0.0)
    assert app.controls.advance_clock(36_001) == 36_001
    expired = app.handle(Request.make("GET", "/index", f"ajax=x&session.id={sid}"))
    assert json.loads(expired.body) == {"error": "session"}


def test_controls_work_on_the_state_alone(tmp_path: Path) -> None:
    state = SandboxState(SandboxConfig(data_dir=tmp_path))
    try:
        controls = SandboxControls(state)
        assert controls.reject_uploads(["P"])["projects"] == ["p"]
        assert controls.stats()["rejected_projects"] == ["p"]
    finally:
        state.close()


def test_controls_have_no_edge_back_to_app_or_server() -> None:
    tree = ast.parse(Path(azkaban_sandbox.control.__file__).read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not imported & {"azkaban_sandbox.app", "azkaban_sandbox.server"}

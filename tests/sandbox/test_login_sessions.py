"""Login, session lookup and the five session-expiry reply shapes (reference 1.3, 1.4, 2)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from conformance import unique
from sandbox_client import Az, SandboxLike
from sandbox_zips import chain_flows

from azkaban_sandbox.wire import LOGIN_SCRIPT_LINE


def _login(sb: SandboxLike) -> dict[str, str]:
    return {"action": "login", "username": sb.user, "password": sb.password}


@pytest.mark.parametrize("path", ["/", "/manager", "/index", "/schedule", "/executor"])
def test_login_works_on_any_servlet_path(sandbox: SandboxLike, path: str) -> None:
    reply = requests.post(sandbox.url + path, data=_login(sandbox), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["status"] == "success"
    assert uuid.UUID(body["session.id"]).version == 4
    assert reply.cookies["azkaban.browser.session.id"] == body["session.id"]
    # Jackson 1.x pretty printing: `"key" : value`
    assert re.search(r'"status" : "success"', reply.text)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"action": "login", "username": "azkaban"}, "Incorrect Login."),
        (
            {"action": "login", "username": "azkaban", "password": "nope"},
            "Incorrect Login. Username/Password not found.",
        ),
        (
            {"action": "login", "username": "", "password": "x"},
            "Incorrect Login. Username is empty.",
        ),
        (
            {"action": "login", "username": "azkaban", "password": ""},
            "Incorrect Login. Password is empty.",
        ),
    ],
)
def test_login_failures_are_json_error_with_status_200(
    sandbox: SandboxLike, data: dict[str, str], error: str
) -> None:
    reply = requests.post(sandbox.url, data=data, timeout=10)
    assert reply.status_code == 200
    assert reply.json() == {"error": error}


def test_password_in_query_string_is_refused_as_plain_text(sandbox: SandboxLike) -> None:
    query = f"/?action=login&username={sandbox.user}&password={sandbox.password}"
    reply = requests.post(sandbox.url + query, timeout=10)
    assert reply.text == "Login error. Must pass username and password in request body"
    assert "Content-Type" not in reply.headers


def test_get_login_is_not_handled(sandbox: SandboxLike) -> None:
    reply = requests.get(sandbox.url + "/index", params=_login(sandbox), timeout=10)
    assert "<!-- /.login -->" in reply.text
    assert "session.id" not in reply.text


def test_expired_session_reply_shapes(sandbox: SandboxLike) -> None:
    url, stale = sandbox.url, {"session.id": str(uuid.uuid4())}
    get_ajax = requests.get(
        url + "/manager", params={"ajax": "fetchprojectflows", "project": "p", **stale}, timeout=10
    )
    assert get_ajax.status_code == 200
    assert get_ajax.headers["Content-Type"] == "application/json"
    assert get_ajax.text == '{\n  "error" : "session"\n}'

    get_page = requests.get(url + "/manager", params={"project": "p", **stale}, timeout=10)
    assert get_page.headers["Content-Type"].startswith("text/html")
    assert "<!-- /.login -->" in get_page.text

    post_xhr = requests.post(
        url + "/manager",
        data={"action": "create", **stale},
        timeout=10,
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert "Content-Type" not in post_xhr.headers
    assert post_xhr.text == (
        '{"status":"error","message":"Invalid Session. Need to re-login","action":"login"}'
    )

    post_plain = requests.post(url + "/manager", data={"ajax": "x", **stale}, timeout=10)
    assert "<!-- /.login -->" in post_plain.text

    multipart = requests.post(
        url + "/manager",
        data={"ajax": "upload", "project": "p", **stale},
        files={"file": ("p.zip", b"PK", "application/zip")},
        timeout=10,
    )
    assert multipart.status_code == 200
    assert multipart.text == "Login error. Need username and password"


def test_form_create_with_bogus_session_gets_the_login_page(sandbox: SandboxLike) -> None:
    # Regression: azkaban-cli (PyPI) POSTs action=create without the XHR header and spots an
    # expired session by this exact line (two leading spaces) of the HTML login page.
    name = unique("bogus")
    reply = requests.post(
        sandbox.url + "/manager",
        data={"action": "create", "name": name, "description": "d", "session.id": "bogus"},
        timeout=10,
    )
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert (
        LOGIN_SCRIPT_LINE
        == '  <script type="text/javascript" src="/js/azkaban/view/login.js"></script>'
    )
    assert LOGIN_SCRIPT_LINE in reply.text.splitlines()


def test_session_by_cookie_and_stale_cookie_wins_over_param(sandbox: SandboxLike) -> None:
    sid = Az.of(sandbox).login()
    ok = requests.get(
        sandbox.url + "/index",
        params={"ajax": "fetchallprojects"},
        cookies={"azkaban.browser.session.id": sid},
        timeout=10,
    )
    assert "projects" in ok.json()
    stale_cookie = requests.get(
        sandbox.url + "/index",
        params={"ajax": "fetchallprojects", "session.id": sid},
        cookies={"azkaban.browser.session.id": "stale"},
        timeout=10,
    )
    assert stale_cookie.json() == {"error": "session"}


def test_new_login_keeps_older_sessions(sandbox: SandboxLike) -> None:
    first, second = Az.of(sandbox), Az.of(sandbox)
    first.login()
    second.login()
    assert first.session_id != second.session_id
    assert "projects" in first.get("/index", ajax="fetchallprojects").json()


@pytest.mark.sandbox_only("moves the sandbox clock of a sandbox with a short session TTL")
def test_sliding_idle_ttl_on_sandbox_clock(sandbox_factory: Callable[..., SandboxLike]) -> None:
    sb = sandbox_factory(session_ttl=100)
    az = Az(sb.url)
    az.login()
    for _ in range(3):  # each use resets the idle timer
        sb.server.controls.advance_clock(60)
        assert az.get("/index", ajax="fetchallprojects").json() == {"projects": []}
    sb.server.controls.advance_clock(101)
    assert az.get("/index", ajax="fetchallprojects").json() == {"error": "session"}


@pytest.mark.sandbox_only("calls the /_sandbox/ control API")
def test_expire_all_control_call(sandbox: SandboxLike) -> None:
    az = Az(sandbox.url)
    az.login()
    reply = requests.post(sandbox.url + "/_sandbox/sessions/expire-all", timeout=10)
    assert reply.json() == {"expired": 1}
    assert az.get("/index", ajax="fetchallprojects").json() == {"error": "session"}


def test_logout_removes_session(sandbox: SandboxLike) -> None:
    az = Az.of(sandbox)
    az.login()
    reply = az.get("/index", logout="true")
    assert reply.status_code == 302
    assert az.get("/index", ajax="fetchallprojects").json() == {"error": "session"}


def _one_shot_create(sb: SandboxLike, name: str, password: str) -> requests.Response:
    data = {"action": "create", "name": name, "description": "d"}
    data.update(username=sb.user, password=password)
    return requests.post(sb.url + "/manager", data=data, timeout=10)


def test_one_shot_credentials_on_urlencoded_post(sandbox: SandboxLike, az: Az) -> None:
    name = az.track(unique("oneshot"))
    assert _one_shot_create(sandbox, name, sandbox.password).json()["status"] == "success"
    assert _one_shot_create(sandbox, unique("x"), "wrong").status_code == 500


@pytest.mark.sandbox_only("reads the session count of /_sandbox/stats")
def test_one_shot_sessions_are_not_cached(sandbox: SandboxLike) -> None:
    assert _one_shot_create(sandbox, "oneshot", sandbox.password).json()["status"] == "success"
    assert sandbox.server.stats()["sessions"] == 0


def test_one_shot_credentials_on_multipart_upload(sandbox: SandboxLike, az: Az) -> None:
    name = unique("multi")
    az.create(name)
    form = {"ajax": "upload", "project": name, "username": sandbox.user}
    files = {"file": ("p.zip", chain_flows(1), "application/zip")}
    url = sandbox.url + "/manager"
    ok = requests.post(url, data={**form, "password": sandbox.password}, files=files, timeout=10)
    assert ok.json() == {"projectId": str(az.project_id(name)), "version": "1"}
    bad = requests.post(url, data={**form, "password": "wrong"}, files=files, timeout=10)
    assert bad.text == "Login error: Username/Password not found."
    empty = requests.post(url, data={**form, "password": ""}, files=files, timeout=10)
    assert empty.text == "Login error: Password is empty."
    no_password = requests.post(url, data=form, files=files, timeout=10)
    assert no_password.text == "Login error. Need username and password"


@pytest.mark.sandbox_only("restarts the sandbox on the same data dir")
def test_sessions_do_not_survive_restart_but_projects_do(
    sandbox_factory: Callable[..., SandboxLike], tmp_path: Path
) -> None:
    data_dir = tmp_path / "persist"
    first = sandbox_factory(data_dir=data_dir)
    az = Az(first.url)
    az.login()
    az.create("survivor")
    assert az.upload("survivor", chain_flows(3)).status_code == 200
    first.server.stop()
    second = sandbox_factory(data_dir=data_dir)
    az.url = second.url
    assert az.get("/index", ajax="fetchallprojects").json() == {"error": "session"}
    az.login()
    assert az.flows("survivor") == ["f0000", "f0001", "f0002"]

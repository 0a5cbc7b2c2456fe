"""Login, session lookup and the five session-expiry reply shapes (spec sections 1.3, 1.4, 2)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from sandbox_client import Az, SandboxLike
from sandbox_zips import chain_flows

LOGIN = {"action": "login", "username": "azkaban", "password": "azkaban"}


@pytest.mark.parametrize("path", ["/", "/manager", "/index", "/schedule", "/executor"])
def test_login_works_on_any_servlet_path(sandbox: SandboxLike, path: str) -> None:
    reply = requests.post(sandbox.url + path, data=LOGIN, timeout=10)
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
    reply = requests.post(
        sandbox.url + "/?action=login&username=azkaban&password=azkaban", timeout=10
    )
    assert reply.text == "Login error. Must pass username and password in request body"
    assert "Content-Type" not in reply.headers


def test_get_login_is_not_handled(sandbox: SandboxLike) -> None:
    reply = requests.get(sandbox.url + "/index", params=LOGIN, timeout=10)
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


def test_session_by_cookie_and_stale_cookie_wins_over_param(sandbox: SandboxLike) -> None:
    az = Az(sandbox.url)
    sid = az.login()
    ok = requests.get(
        sandbox.url + "/index",
        params={"ajax": "fetchallprojects"},
        cookies={"azkaban.browser.session.id": sid},
        timeout=10,
    )
    assert ok.json() == {"projects": []}
    stale_cookie = requests.get(
        sandbox.url + "/index",
        params={"ajax": "fetchallprojects", "session.id": sid},
        cookies={"azkaban.browser.session.id": "stale"},
        timeout=10,
    )
    assert stale_cookie.json() == {"error": "session"}


def test_new_login_keeps_older_sessions(sandbox: SandboxLike) -> None:
    first, second = Az(sandbox.url), Az(sandbox.url)
    first.login()
    second.login()
    assert first.session_id != second.session_id
    assert first.get("/index", ajax="fetchallprojects").json() == {"projects": []}


def test_sliding_idle_ttl_on_sandbox_clock(sandbox_factory: Callable[..., SandboxLike]) -> None:
    sb = sandbox_factory(session_ttl=100)
    az = Az(sb.url)
    az.login()
    for _ in range(3):  # each use resets the idle timer
        sb.server.advance_clock(60)
        assert az.get("/index", ajax="fetchallprojects").json() == {"projects": []}
    sb.server.advance_clock(101)
    assert az.get("/index", ajax="fetchallprojects").json() == {"error": "session"}


def test_expire_all_control_call(sandbox: SandboxLike) -> None:
    az = Az(sandbox.url)
    az.login()
    reply = requests.post(sandbox.url + "/_sandbox/sessions/expire-all", timeout=10)
    assert reply.json() == {"expired": 1}
    assert az.get("/index", ajax="fetchallprojects").json() == {"error": "session"}


def test_logout_removes_session(sandbox: SandboxLike) -> None:
    az = Az(sandbox.url)
    az.login()
    reply = az.get("/index", logout="true")
    assert reply.status_code == 302
    assert az.get("/index", ajax="fetchallprojects").json() == {"error": "session"}


def test_one_shot_credentials_on_urlencoded_post(sandbox: SandboxLike) -> None:
    reply = requests.post(
        sandbox.url + "/manager",
        data={
            "action": "create",
            "name": "oneshot",
            "description": "d",
            "username": "azkaban",
            "password": "azkaban",
        },
        timeout=10,
    )
    assert reply.json()["status"] == "success"
    assert sandbox.server.stats()["sessions"] == 0  # one-shot sessions are not cached
    bad = requests.post(
        sandbox.url + "/manager",
        data={
            "action": "create",
            "name": "x",
            "description": "d",
            "username": "azkaban",
            "password": "wrong",
        },
        timeout=10,
    )
    assert bad.status_code == 500


def test_one_shot_credentials_on_multipart_upload(sandbox: SandboxLike) -> None:
    az = Az(sandbox.url)
    az.login()
    az.create("multi")
    form = {"ajax": "upload", "project": "multi", "username": "azkaban"}
    files = {"file": ("p.zip", chain_flows(1), "application/zip")}
    ok = requests.post(
        sandbox.url + "/manager", data={**form, "password": "azkaban"}, files=files, timeout=10
    )
    assert ok.json() == {"projectId": "1", "version": "1"}
    bad = requests.post(
        sandbox.url + "/manager", data={**form, "password": "wrong"}, files=files, timeout=10
    )
    assert bad.text == "Login error: Username/Password not found."
    empty = requests.post(
        sandbox.url + "/manager", data={**form, "password": ""}, files=files, timeout=10
    )
    assert empty.text == "Login error: Password is empty."
    no_password = requests.post(sandbox.url + "/manager", data=form, files=files, timeout=10)
    assert no_password.text == "Login error. Need username and password"


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

"""The client against a scripted fake server on a real loopback socket: what goes on the wire,
session reuse/expiry, and transport faults the sandbox cannot produce deterministically."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from fake_azkaban_server import (
    OUTAGE_WINDOW,
    PASSWORD,
    FakeAzkaban,
    Recorded,
    Reply,
    make_client,
    small_zip,
)

from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings
from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban.replies import RequestKind
from azkaban_seeder.azkaban.transport import environment_settings

FLOWS = Reply.json({"project": "p1", "projectId": 3, "flows": [{"flowId": "flow_000001"}]})
UPLOADED = Reply.json({"projectId": "3", "version": "2"})
SCHEDULED = Reply.json({"status": "success", "scheduleId": 11, "message": "p1.f scheduled."})


def by_name(**replies: Reply | list[Reply]):  # type: ignore[no-untyped-def]
    """Script: answer by ``ajax``/``action`` name; a list is consumed one reply per call."""

    def script(req: Recorded) -> Reply:
        params = req.params
        name = params.get("ajax") or params.get("action")
        if name is None and b'name="ajax"\r\n\r\nupload' in req.body:
            name = "upload"
        if name is None and "delete" in params:
            name = "delete"
        if name is None and req.method == "GET" and "project" in params:
            name = "page"
        reply = replies.get(name or "", Reply(404, f"unscripted {name}"))
        if isinstance(reply, list):
            return reply.pop(0) if len(reply) > 1 else reply[0]
        return reply

    return script


def project_page(description: str) -> Reply:
    """The HTML project page, which shows the description (GET /manager?project=P)."""
    body = (
        "<html><body><h1>Project p1</h1>"
        f'<p class="editable" id="project-description">{description}</p></body></html>'
    )
    return Reply(200, body, {"Content-Type": "text/html"})


OUR_PAGE = project_page("load test [managed by azkaban-seeder]")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- session reuse and the wire format ------------------------------------------------------


def test_one_login_reused_and_session_only_in_cookie(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    fake_azkaban.script = by_name(fetchprojectflows=FLOWS, scheduleCronFlow=SCHEDULED)
    for _ in range(5):
        assert fake_client.fetch_project_flows("p1") == ["flow_000001"]
    assert fake_client.schedule_cron_flow("p1", "flow_000001", "0 0 1 * * ?") == 11
    assert fake_azkaban.logins == 1
    assert fake_client.stats.snapshot()["logins"] == 1
    (session_id,) = fake_azkaban.sessions
    login, *calls = fake_azkaban.requests
    assert login.method == "POST" and login.query == {}  # password only in the body
    assert login.form["password"] == [PASSWORD]
    for req in calls:
        assert f"azkaban.browser.session.id={session_id}" in req.headers["cookie"]
        assert session_id not in req.path + json.dumps(req.query)
    schedule = calls[-1]
    assert schedule.headers["x-requested-with"] == "XMLHttpRequest"
    assert schedule.params["cronExpression"] == "0 0 1 * * ?"


def test_requests_are_encoded_as_requests_would_and_carry_the_session_defaults(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    """The transport prepares requests itself (no `Session.request`): query strings and form
    bodies are url-encoded like requests does (None left out, reserved characters escaped),
    POST bodies carry their length and type, and the session's default headers still go."""
    fake_azkaban.script = by_name(
        fetchprojectflows=FLOWS,
        create=Reply.json({"status": "success", "action": "redirect", "path": "manager"}),
    )
    fake_client.fetch_project_flows("p 1&x=y")
    fake_client.create_project("p1", "a b&c=d é")
    _login, fetch, create = fake_azkaban.requests
    assert fetch.method == "GET" and fetch.query == {
        "ajax": ["fetchprojectflows"],
        "project": ["p 1&x=y"],
    }
    assert fetch.body == b"" and "content-length" not in fetch.headers
    assert fetch.headers["user-agent"].startswith("azkaban-seeder/")
    assert "gzip" in fetch.headers["accept-encoding"]
    assert create.method == "POST" and create.query == {}
    assert create.headers["content-type"] == "application/x-www-form-urlencoded"
    assert int(create.headers["content-length"]) == len(create.body)
    assert create.form["action"] == ["create"] and create.form["name"] == ["p1"]
    assert create.form["description"][0].startswith("a b&c=d é")


def test_a_base_path_is_kept_and_percent_encoded_like_requests_does(
    fake_azkaban: FakeAzkaban,
) -> None:
    """Azkaban behind a path prefix (a reverse proxy): every request goes under it, with
    characters a URL cannot carry raw percent-encoded, as `requests` would send them."""
    fake_azkaban.script = by_name(fetchprojectflows=FLOWS)
    client = make_client(fake_azkaban.url + "/az kaban")
    assert client.fetch_project_flows("p1") == ["flow_000001"]
    login, fetch = fake_azkaban.requests
    assert login.path == "/az%20kaban/"
    assert fetch.path == "/az%20kaban/manager"


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    """A session id that would split the Cookie header (a hostile or broken login reply)
    is a typed transport error, raised before the request leaves."""
    fake_azkaban.script = by_name(fetchprojectflows=FLOWS)
    fake_client.login()
    sent = len(fake_azkaban.requests)
    fake_client._transport._session_id = "abc\r\nX-Injected: 1"
    with pytest.raises(e.AzkabanTransportError, match="Invalid"):
        fake_client.fetch_project_flows("p1")
    assert len(fake_azkaban.requests) == sent


def test_wrong_password_is_login_failed_not_retried(fake_azkaban: FakeAzkaban) -> None:
    client = make_client(fake_azkaban.url, password="wrong")
    with pytest.raises(e.LoginFailed, match="Incorrect Login"):
        client.login()
    assert len(fake_azkaban.requests) == 1


def test_upload_sends_content_length_never_chunked(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient, tmp_path: Path
) -> None:
    fake_azkaban.script = by_name(upload=UPLOADED)
    data = small_zip()
    path = tmp_path / "p1.zip"
    path.write_bytes(data)
    result = fake_client.upload_project("p1", path)
    assert (result.project_id, result.version) == ("3", "2")
    (upload,) = fake_azkaban.calls("upload")
    assert not upload.chunked and "transfer-encoding" not in upload.headers
    assert int(upload.headers["content-length"]) == len(upload.body)
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="project"\r\n\r\np1\r\n' in upload.body
    assert b'filename="p1.zip"\r\nContent-Type: application/zip\r\n\r\n' + data in upload.body


def test_upload_expected_flows_mismatch(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    fake_azkaban.script = by_name(upload=UPLOADED, fetchprojectflows=FLOWS)
    assert fake_client.upload_project("p1", small_zip(), expected_flows=1).version == "2"
    with pytest.raises(e.FlowCountMismatch, match=r"lists 1 flows .* expected 2"):
        fake_client.upload_project("p1", small_zip(), expected_flows=2)


# --- re-login on every expiry shape ---------------------------------------------------------


def test_relogin_on_ajax_get_session_error(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    fake_azkaban.script = by_name(fetchprojectflows=FLOWS)
    fake_client.fetch_project_flows("p1")
    fake_azkaban.expire_all()
    assert fake_client.fetch_project_flows("p1") == ["flow_000001"]
    assert (fake_azkaban.logins, fake_client.stats.relogins) == (2, 1)
    assert fake_client.stats.snapshot()["retries_by_reason"] == {"session_expired": 1}


@pytest.mark.parametrize("ajax_header_ignored", [False, True], ids=["xhr-json", "login-page"])
def test_relogin_on_post_shapes(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient, ajax_header_ignored: bool
) -> None:
    fake_azkaban.script = by_name(scheduleCronFlow=SCHEDULED)
    fake_client.login()
    fake_azkaban.expire_all()
    fake_azkaban.ajax_header_ignored = ajax_header_ignored
    assert fake_client.schedule_cron_flow("p1", "f", "0 0 1 * * ?") == 11
    assert len(fake_azkaban.calls("scheduleCronFlow")) == 2
    assert fake_client.stats.relogins == 1


def test_relogin_on_multipart_text(fake_azkaban: FakeAzkaban) -> None:
    client = make_client(fake_azkaban.url)
    client._transport.fresh_after = 3600  # no freshness probe: the upload itself meets expiry
    fake_azkaban.script = by_name(upload=UPLOADED)
    client.login()
    fake_azkaban.expire_all()
    assert client.upload_project("p1", small_zip()).version == "2"
    assert len(fake_azkaban.calls("upload")) == 2
    assert client.stats.relogins == 1


def test_stale_session_probed_before_sending_the_zip(fake_azkaban: FakeAzkaban) -> None:
    client = make_client(fake_azkaban.url)
    client._transport.fresh_after = 0  # every upload counts as stale
    fake_azkaban.script = by_name(
        upload=UPLOADED, getProjectId=Reply.json({"project": "p1", "projectId": 3})
    )
    client.login()
    fake_azkaban.expire_all()
    client.upload_project("p1", small_zip())
    assert len(fake_azkaban.calls("upload")) == 1  # the zip went over the wire once
    # one probe met the expiry; after the re-login the session is fresh, so no second probe
    assert len(fake_azkaban.calls("getProjectId")) == 1
    assert client.stats.relogins == 1


def test_relogin_on_page_get_login_page(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    ok = Reply(
        302,
        "",
        {
            "Location": fake_azkaban.url + "/",
            "Set-Cookie": "azkaban.success.message=\"Project 'p1' was successfully "
            'deleted and associated schedules are removed."; Path=/',
        },
    )
    fake_azkaban.script = by_name(delete=ok)
    fake_client.login()
    fake_azkaban.expire_all()
    fake_client.delete_project("p1")
    deletes = [r for r in fake_azkaban.requests if "delete" in r.query]
    assert len(deletes) == 2 and fake_client.stats.relogins == 1
    assert all(r.path != "/" or r.method == "POST" for r in fake_azkaban.requests)  # no follow


def test_session_expiry_loop_is_bounded(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    fake_azkaban.script = lambda req: Reply.json({"error": "session"})
    with pytest.raises(e.SessionExpired):
        fake_client.fetch_project_flows("p1")
    assert fake_azkaban.logins == 4  # one per attempt, attempts=4


# --- transient faults and their bounds ------------------------------------------------------


def test_5xx_and_dropped_connections_retried_and_counted(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    fake_azkaban.script = by_name(fetchprojectflows=[Reply(503, "busy"), Reply(drop=True), FLOWS])
    assert fake_client.fetch_project_flows("p1") == ["flow_000001"]
    snapshot = fake_client.stats.snapshot()
    assert snapshot["retries_by_reason"] == {"connection_dropped": 1, "http_503": 1}
    assert len(fake_azkaban.calls("fetchprojectflows")) == 3


def test_retries_bounded_and_logged_once_each(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake_azkaban.script = lambda req: Reply(500, "<html>internal error</html>")
    caplog.set_level(logging.WARNING)
    with pytest.raises(e.AzkabanServerError) as info:
        fake_client.fetch_project_flows("p1")
    assert info.value.status == 500
    assert len(fake_azkaban.calls("fetchprojectflows")) == 4
    retry_lines = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retry_lines) == 3
    assert fake_client.stats.snapshot()["retries_by_reason"] == {"http_500": 3}


def test_a_gateway_outage_is_ridden_out_for_the_window_then_given_up(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    fake_azkaban.script = lambda req: Reply(502, "<html>bad gateway</html>")
    started = time.monotonic()
    with pytest.raises(e.ServerUnreachable, match="server unreachable since"):
        fake_client.fetch_project_flows("p1")
    elapsed = time.monotonic() - started
    # Far more tries than attempts=4, all within the window (+ a probe).
    assert len(fake_azkaban.calls("fetchprojectflows")) > 4
    assert OUTAGE_WINDOW <= elapsed < OUTAGE_WINDOW + 2


def test_read_timeout_retried_for_reads(fake_azkaban: FakeAzkaban) -> None:
    client = make_client(fake_azkaban.url, timeout=0.3)
    fake_azkaban.script = by_name(fetchprojectflows=[Reply(delay=0.8), FLOWS])
    assert client.fetch_project_flows("p1") == ["flow_000001"]
    assert client.stats.snapshot()["retries_by_reason"] == {"timeout": 1}


def test_connect_failure_is_connect_failed_and_bounded() -> None:
    client = make_client(f"http://127.0.0.1:{closed_port()}", attempts=3)
    started = time.monotonic()
    with pytest.raises(e.ServerUnreachable):
        client.fetch_all_projects()
    # A refused connection is an outage: ridden out for the window, not for 3 attempts.
    assert time.monotonic() - started < OUTAGE_WINDOW + 2
    retried = client.stats.snapshot()["retries_by_reason"]["connect_failed"]
    assert client.stats.attempts == retried > 3  # the last try was refused unsent by the circuit


def test_upload_validator_report_not_retried_generic_500_retried(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    report = Reply.json(
        {
            "error": "Validator Directory Flow reports errors:<br><br>a has a self cycle<br>",
            "projectId": "3",
            "version": "1",
        },
        500,
    )
    fake_azkaban.script = by_name(upload=report)
    with pytest.raises(e.UploadRejected) as info:
        fake_client.upload_project("p1", small_zip())
    assert info.value.report == ["a has a self cycle"]
    assert len(fake_azkaban.calls("upload")) == 1
    fake_azkaban.script = by_name(upload=[Reply(500, "<html>HTTP ERROR: 500</html>"), UPLOADED])
    assert fake_client.upload_project("p1", small_zip()).version == "2"
    assert len(fake_azkaban.calls("upload")) == 3


# --- executeFlow is never repeated unless provably unsent -----------------------------------


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(500, "<html>boom</html>"), e.AzkabanServerError),
        (Reply(drop=True), e.ConnectionDropped),
        (Reply(delay=0.8), e.RequestTimeout),
    ],
    ids=["5xx", "dropped", "timeout"],
)
def test_execute_not_retried_when_server_may_have_acted(
    fake_azkaban: FakeAzkaban, reply: Reply, error: type[Exception]
) -> None:
    client = make_client(fake_azkaban.url, timeout=0.3)
    fake_azkaban.script = by_name(executeFlow=reply)
    with pytest.raises(error):
        client.execute_flow("p1", "flow_000001")
    assert len(fake_azkaban.calls("executeFlow")) == 1


def test_execute_retried_after_session_expiry_and_sends_options(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    fake_azkaban.script = by_name(
        executeFlow=Reply.json(
            {"project": "p1", "flow": "f", "execid": 77, "message": "Execution queued"}
        )
    )
    fake_client.login()
    fake_azkaban.expire_all()
    exec_id = fake_client.execute_flow(
        "p1", "f", concurrentOption="ignore", disabled=["j1"], flowOverride={"k": "v"}
    )
    assert exec_id == 77
    calls = fake_azkaban.calls("executeFlow")
    assert len(calls) == 2
    params = calls[-1].params
    assert params["concurrentOption"] == "ignore"
    assert json.loads(params["disabled"]) == ["j1"]
    assert params["flowOverride[k]"] == "v"


def test_execute_connect_failure_retried() -> None:
    client = make_client(f"http://127.0.0.1:{closed_port()}", attempts=2)
    with pytest.raises(e.ServerUnreachable):
        client.execute_flow("p1", "f")
    assert client.stats.attempts >= 2  # never sent: safe to repeat for the outage window


# --- create/ensure ownership ----------------------------------------------------------------


def test_create_timeout_then_already_exists_is_success_if_ours(fake_azkaban: FakeAzkaban) -> None:
    client = make_client(fake_azkaban.url, timeout=0.3)
    exists = Reply(200, '{"status":"error","message":"Project already exists."}')
    fake_azkaban.script = by_name(
        create=[Reply(delay=0.8), exists],
        page=OUR_PAGE,
    )
    assert client.ensure_project("p1", "load test") is True
    create = fake_azkaban.calls("create")
    assert len(create) == 2
    assert create[0].params["description"] == "load test [managed by azkaban-seeder]"


def test_ensure_existing_project(fake_azkaban: FakeAzkaban, fake_client: AzkabanClient) -> None:
    exists = Reply(200, '{"status":"error","message":"Project already exists."}')
    fake_azkaban.script = by_name(create=exists, page=OUR_PAGE)
    assert fake_client.ensure_project("p1") is False
    with pytest.raises(e.ProjectAlreadyExists):
        fake_client.create_project("p1", "x")
    fake_azkaban.script = by_name(create=exists, page=project_page("nightly billing team"))
    with pytest.raises(e.ForeignProjectError, match="marker"):
        fake_client.ensure_project("p1")


# --- headers-only download (uploaded_file_name) ---------------------------------------------


def download(name: str, *, body: bytes = b"PK\x03\x04 zip bytes") -> Reply:
    """GET /manager?project=P&download=true answered with the stored zip (spec 4.13)."""
    headers = {
        "Content-Type": "application/zip",
        "Content-Disposition": f'attachment; filename="{name}"',
        "version": "2",
        "projectId": "3",
    }
    return Reply(200, body, headers)


def downloads(*replies: Reply):  # type: ignore[no-untyped-def]
    """Script: the download GETs get `replies` in turn (the last one repeats)."""
    queue = list(replies)

    def script(req: Recorded) -> Reply:
        if req.method == "GET" and req.params.get("download") == "true":
            return queue.pop(0) if len(queue) > 1 else queue[0]
        return Reply(404, "unscripted")

    return script


def test_a_headers_only_download_names_the_file_without_reading_the_zip(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    fake_azkaban.script = downloads(download("p1-abc.zip", body=b"x" * 200_000))
    assert fake_client.uploaded_file_name("p1") == "p1-abc.zip"
    raw = fake_client._transport.send(
        "download project",
        "GET",
        "/manager",
        kind=RequestKind.PAGE_GET,
        params={"project": "p1", "download": "true"},
        headers_only=True,
    )
    assert raw.body == "" and raw.headers["content-disposition"].endswith('"p1-abc.zip"')
    gets = [r for r in fake_azkaban.requests if r.method == "GET"]
    assert [r.query for r in gets] == [{"project": ["p1"], "download": ["true"]}] * 2
    assert all("azkaban.browser.session.id=" in r.headers["cookie"] for r in gets)
    assert fake_client.stats.attempts == 3  # the login and two downloads, counted as any call


def test_a_download_redirect_is_no_upload_and_a_lost_session_logs_in_again(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    missing = Reply(
        302,
        "",
        {"Location": "/", "Set-Cookie": 'azkaban.failure.message="Project p1 not found."'},
    )
    fake_azkaban.script = downloads(missing)
    assert fake_client.uploaded_file_name("p1") is None
    assert [r.path for r in fake_azkaban.requests] == ["/", "/manager"]  # never followed
    fake_azkaban.script = downloads(download("p1-abc.zip"))
    fake_azkaban.expire_all()  # a page GET then gets the login page (spec 1.4, shape 2)
    assert fake_client.uploaded_file_name("p1") == "p1-abc.zip"
    assert fake_client.stats.relogins == 1


def test_a_download_shares_the_error_mapping_and_retries_of_every_call(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient
) -> None:
    # The headers-only GET is the one `_exchange` with a flag (it used to have a copy of its
    # own): its faults map and retry exactly like any other read's.
    fake_azkaban.script = downloads(Reply(drop=True), Reply(503, "busy"), download("p1-k.zip"))
    assert fake_client.uploaded_file_name("p1") == "p1-k.zip"
    assert fake_client.stats.snapshot()["retries_by_reason"] == {
        "connection_dropped": 1,
        "http_503": 1,
    }


# --- secrets never logged -------------------------------------------------------------------


def test_no_password_or_session_id_in_logs(
    fake_azkaban: FakeAzkaban, fake_client: AzkabanClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_azkaban.script = by_name(fetchprojectflows=[Reply(503, "x"), FLOWS], upload=UPLOADED)
    seen_sessions: set[str] = set()
    fake_client.fetch_project_flows("p1")
    seen_sessions |= fake_azkaban.sessions
    fake_azkaban.expire_all()
    fake_client.upload_project("p1", small_zip())
    seen_sessions |= fake_azkaban.sessions
    text = caplog.text + repr(fake_client) + repr(fake_client.settings)
    assert fake_client.stats.relogins == 1 and len(seen_sessions) == 2
    assert "retrying" in caplog.text  # the log did capture the client's activity
    assert PASSWORD not in text
    for session_id in seen_sessions:
        assert session_id not in text


def test_tls_failure_is_a_settings_error_not_retried(fake_azkaban: FakeAzkaban) -> None:
    """https:// against a plain-HTTP port: the TLS handshake fails; retrying cannot help."""
    client = make_client(fake_azkaban.url.replace("http://", "https://"))
    with pytest.raises(e.SettingsError, match="TLS"):
        client.fetch_all_projects()
    assert client.stats.attempts == 1


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variables from the machine's environment; returns the monkeypatch."""
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_an_http_proxy_from_the_environment_is_used_and_no_proxy_bypasses_it(
    fake_azkaban: FakeAzkaban, no_proxy_env: pytest.MonkeyPatch
) -> None:
    monkeypatch = no_proxy_env
    # The fake stands in for the proxy: the client's own URL is a closed port, so a request
    # reaches the fake only through the proxy setting (in absolute form).
    fake_azkaban.script = by_name(fetchprojectflows=FLOWS)
    target = f"127.0.0.1:{closed_port()}"
    monkeypatch.setenv("HTTP_PROXY", fake_azkaban.url)
    with make_client(f"http://{target}", attempts=1) as client:
        assert client.fetch_project_flows("p1") == ["flow_000001"]
    assert fake_azkaban.requests[0].headers["host"] == target
    seen = len(fake_azkaban.requests)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with (
        make_client(f"http://{target}", attempts=1) as client,
        # Refused: an outage, given up after the (short) outage window.
        pytest.raises((e.ConnectFailed, e.ServerUnreachable)),
    ):
        client.fetch_project_flows("p1")
    assert len(fake_azkaban.requests) == seen  # nothing went through the proxy


def test_the_environment_is_read_once_per_client_not_per_request(
    fake_azkaban: FakeAzkaban, no_proxy_env: pytest.MonkeyPatch
) -> None:
    monkeypatch = no_proxy_env
    fake_azkaban.script = by_name(fetchprojectflows=FLOWS)
    with make_client(fake_azkaban.url, attempts=1) as client:
        assert client.fetch_project_flows("p1") == ["flow_000001"]
        # A proxy set after the client exists does not reroute it (nothing listens there).
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
        assert client.fetch_project_flows("p1") == ["flow_000001"]


def test_a_ca_bundle_from_the_environment_unless_the_settings_name_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/env-bundle.pem")
    url = "https://azkaban.example:8443"
    system = ConnectionSettings(url=url, user="u", password="p")
    assert environment_settings(system)[1] == "/etc/ssl/env-bundle.pem"
    own = ConnectionSettings(url=url, user="u", password="p", verify="/etc/ssl/own.pem")
    assert environment_settings(own)[1] == "/etc/ssl/own.pem"
    off = ConnectionSettings(url=url, user="u", password="p", verify=False)
    assert environment_settings(off)[1] is False
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert environment_settings(system)[1] is True


def test_the_connection_pool_is_looked_up_once_per_origin_not_per_request(
    fake_azkaban: FakeAzkaban, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests' adapter rebuilds its pool key per request, a CA-bundle `isdir` included; ours
    looks the pool up on the first request only, and every request still reaches the server."""
    fake_azkaban.script = by_name(fetchprojectflows=FLOWS)
    looked_up: list[str] = []
    real_isdir = os.path.isdir

    def counting_isdir(path: Any) -> bool:
        looked_up.append(str(path))
        return real_isdir(path)

    with make_client(fake_azkaban.url, attempts=1) as client:
        assert client.fetch_project_flows("p1") == ["flow_000001"]  # the login and one call
        monkeypatch.setattr(os.path, "isdir", counting_isdir)
        for _ in range(5):
            assert client.fetch_project_flows("p1") == ["flow_000001"]
    assert looked_up == []
    assert len(fake_azkaban.requests) == 7

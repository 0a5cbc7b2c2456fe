"""ConnectionSettings, the multipart body and the ownership rule (no HTTP)."""

from __future__ import annotations

import email.parser
import pickle
from pathlib import Path
from typing import Any

import pytest

from azkaban_seeder.azkaban import ConnectionSettings, SettingsError
from azkaban_seeder.azkaban.multipart import MultipartBody
from azkaban_seeder.azkaban.ownership import MARKER, foreign_reason, with_marker


def test_defaults_from_empty_environment() -> None:
    settings = ConnectionSettings.from_env({})
    assert (settings.url, settings.user, settings.password) == (
        "http://127.0.0.1:8081",
        "azkaban",
        "azkaban",
    )
    assert settings.verify is True and settings.timeout == 60.0


def test_environment_and_overrides() -> None:
    env = {
        "AZKABAN_URL": "https://az.example:8443/",
        "AZKABAN_USER": "qa",
        "AZKABAN_PASSWORD": "pw",
        "AZKABAN_CA_BUNDLE": "/etc/ca.pem",
        "AZKABAN_TIMEOUT": "5",
    }
    settings = ConnectionSettings.from_env(env, timeout=9.0)
    assert settings.url == "https://az.example:8443"
    assert (settings.user, settings.password, settings.verify) == ("qa", "pw", "/etc/ca.pem")
    assert settings.timeout == 9.0


@pytest.mark.parametrize(
    "url", ["localhost:8081", "ftp://h", "http://", "http://h:99999", "http://h/?a=1"]
)
def test_malformed_url_names_the_variable(url: str) -> None:
    with pytest.raises(SettingsError, match="AZKABAN_URL"):
        ConnectionSettings.from_env({"AZKABAN_URL": url})


def test_password_required_for_a_remote_server() -> None:
    with pytest.raises(SettingsError, match="AZKABAN_PASSWORD"):
        ConnectionSettings.from_env({"AZKABAN_URL": "https://azkaban.qa.example:8443"})
    local = ConnectionSettings.from_env({"AZKABAN_URL": "http://localhost:9000"})
    assert local.password == "azkaban"  # the sandbox's default user


def test_bad_timeout_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="AZKABAN_TIMEOUT"):
        ConnectionSettings.from_env({"AZKABAN_TIMEOUT": "soon"})


def test_field_validation() -> None:
    with pytest.raises(SettingsError, match="timeout"):
        ConnectionSettings("http://h", "u", "p", timeout=0)
    with pytest.raises(SettingsError, match="password"):
        ConnectionSettings("http://h", "u", "")


def test_repr_hides_password_and_pickles() -> None:
    settings = ConnectionSettings("http://h:1", "u", "hunter2-secret", verify="/ca.pem")
    assert "hunter2-secret" not in repr(settings) and "***" in repr(settings)
    assert pickle.loads(pickle.dumps(settings)) == settings
    with pytest.raises(AttributeError):
        settings.url = "http://x"  # type: ignore[misc]


# --- multipart ------------------------------------------------------------------------------


def _parse(body: MultipartBody, data: bytes) -> dict[str, Any]:
    """Parse with the standard library's MIME parser (independent of our writer)."""
    message: Any = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + body.content_type.encode() + b"\r\n\r\n" + data
    )
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.get_payload()
    }


@pytest.mark.parametrize("read_size", [1, 7, 8192, -1])
def test_multipart_length_matches_bytes_and_parses(read_size: int, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 100
    path = tmp_path / "p.zip"
    path.write_bytes(payload)
    body = MultipartBody({"ajax": "upload", "project": "p1"}, "file", "p.zip", path)
    chunks = []
    while chunk := body.read(read_size):
        chunks.append(chunk)
    data = b"".join(chunks)
    assert len(data) == len(body) and body.tell() == len(body)
    parts = _parse(body, data)
    assert parts["ajax"] == b"upload" and parts["project"] == b"p1"
    assert parts["file"] == payload
    body.close()


def test_multipart_from_bytes_declares_zip_part() -> None:
    body = MultipartBody({}, "file", "x.zip", b"PK\x03\x04")
    data = body.read()
    assert b'filename="x.zip"' in data and b"Content-Type: application/zip" in data
    assert body.content_type.startswith("multipart/form-data; boundary=")


# --- ownership ------------------------------------------------------------------------------


def test_ownership_rule_reads_the_marker_from_the_project_page() -> None:
    page = '<p id="project-description">load test [managed by azkaban-seeder]</p>'
    assert foreign_reason(page) is None
    assert foreign_reason(page.replace("[", "&#91;")) is None  # HTML-escaped is still ours
    reason = foreign_reason('<p id="project-description">nightly billing team</p>')
    assert reason is not None and "marker" in reason
    assert "no description element" in str(foreign_reason("<p>nightly billing team</p>"))


def test_marker_text_outside_the_description_does_not_make_a_project_ours() -> None:
    # Regression: the marker anywhere on the page counted, so a flow or job named after it
    # would have passed a foreign project off as ours (the page lists flow names too).
    page = (
        '<h1>Project <small>p</small></h1><p class="editable" id="project-description">'
        "nightly billing team</p><ul><li>[managed by azkaban-seeder]</li></ul>"
        "<script>var note = '[managed by azkaban-seeder]';</script>"
    )
    reason = foreign_reason(page)
    assert reason is not None and "does not carry" in reason


def test_marker_added_once() -> None:
    assert with_marker("load test") == f"load test {MARKER}"
    assert with_marker(f"x {MARKER}") == f"x {MARKER}"
    assert MARKER in with_marker("")


def test_from_env_reads_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZKABAN_URL", "http://azkaban.test:8081")
    monkeypatch.setenv("AZKABAN_USER", "seeder")
    monkeypatch.setenv("AZKABAN_PASSWORD", "pw")
    monkeypatch.setenv("AZKABAN_CA_BUNDLE", "false")
    settings = ConnectionSettings.from_env()
    assert (settings.url, settings.user, settings.verify) == (
        "http://azkaban.test:8081",
        "seeder",
        False,
    )


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1.0, 0])
def test_timeouts_must_be_positive_and_finite(timeout: float) -> None:
    # Regression: --timeout nan / inf passed the "> 0" check and later crashed requests.
    with pytest.raises(SettingsError, match="positive, finite"):
        ConnectionSettings(url="http://127.0.0.1:8081", user="u", password="p", timeout=timeout)


@pytest.mark.parametrize(
    "url", ["http://alice:s3cret-pw@azkaban.example.com:8443", "https://alice@azkaban.example.com"]
)
def test_urls_with_credentials_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        ConnectionSettings(url=url, user="u", password="p")
    message = str(caught.value)
    assert "carries credentials" in message and "AZKABAN_PASSWORD" in message
    assert "s3cret-pw" not in message and "alice" not in message

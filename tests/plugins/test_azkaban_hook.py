"""`AzkabanHook` reads ``azkaban_default`` from the environment (never a DB) at call time, once;
the connection type ``azkaban`` and its form reach Airflow through the provider info."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException

from azkaban_airflow.hooks import AzkabanHook, base_url
from azkaban_sandbox.server import SandboxConfig, SandboxServer
from azkaban_seeder.azkaban import AzkabanClient

CONN_VAR = "AIRFLOW_CONN_AZKABAN_DEFAULT"


def _set_conn(monkeypatch: pytest.MonkeyPatch, conn_type: str = "azkaban", **fields: Any) -> None:
    monkeypatch.setenv(CONN_VAR, json.dumps({"conn_type": conn_type, **fields}))


def test_settings_from_the_json_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_conn(
        monkeypatch,
        host="azkaban.internal",
        port=8443,
        schema="https",
        login="seeder",
        password="s3cret-pass",
        extra={"verify": "/etc/ssl/azkaban-ca.pem", "timeout": 90, "connect_timeout": "4"},
    )
    settings = AzkabanHook().get_settings()
    assert settings.url == "https://azkaban.internal:8443"
    assert (settings.user, settings.password) == ("seeder", "s3cret-pass")
    assert settings.verify == "/etc/ssl/azkaban-ca.pem"
    assert (settings.timeout, settings.connect_timeout) == (90.0, 4.0)
    assert "s3cret-pass" not in repr(settings)


def test_http_connections_of_before_the_azkaban_type_still_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set_conn(monkeypatch, "http", host="old.example", port=8081, login="u", password="pw-123")
    assert AzkabanHook().get_settings().url == "http://old.example:8081"


def test_the_connection_is_looked_up_once_per_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 7: the tasks, the operator and its link each parsed the Connection again.
    _set_conn(monkeypatch, host="h", login="u", password="pw-123")
    lookups: list[str] = []
    lookup = AzkabanHook.get_connection

    def counting(conn_id: str) -> Any:
        lookups.append(conn_id)
        return lookup(conn_id)

    monkeypatch.setattr(AzkabanHook, "get_connection", staticmethod(counting))
    hook = AzkabanHook()
    first = hook.get_settings()
    assert hook.get_settings() is first
    hook.get_conn().close()
    assert lookups == ["azkaban_default"]
    AzkabanHook().get_settings()  # another hook (another task) reads it again
    assert lookups == ["azkaban_default"] * 2


def test_a_failed_lookup_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_conn(monkeypatch, host="h", login="", password="pw-123")
    hook = AzkabanHook()
    with pytest.raises(AirflowException, match="user is empty"):
        hook.get_settings()
    _set_conn(monkeypatch, host="h", login="u", password="pw-123")
    assert hook.get_settings().user == "u"


def test_connection_is_read_when_used_not_when_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONN_VAR, raising=False)
    hook = AzkabanHook()  # no Connection yet: building the hook must not look it up
    _set_conn(monkeypatch, host="late.example", login="u", password="p-later")
    assert hook.get_settings().url == "http://late.example"


@pytest.mark.parametrize(
    ("verify", "expected"), [("false", False), ("True", True), (False, False), (None, True)]
)
def test_verify_extra(monkeypatch: pytest.MonkeyPatch, verify: Any, expected: bool) -> None:
    extra = {} if verify is None else {"verify": verify}
    _set_conn(monkeypatch, host="h", login="u", password="pw-123", extra=extra)
    assert AzkabanHook().get_settings().verify is expected


def test_other_connection_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_AZKABAN_STAGING",
        json.dumps({"conn_type": "azkaban", "host": "stage", "login": "u", "password": "pw-123"}),
    )
    assert AzkabanHook("azkaban_staging").get_settings().url == "http://stage"


@pytest.mark.parametrize(
    ("host", "port", "schema", "url"),
    [
        ("h", None, None, "http://h"),
        ("h", 8081, "", "http://h:8081"),
        ("https://h/", 8443, None, "https://h:8443"),
        ("http://h:9000", 8081, None, "http://h:9000"),
        ("h", 443, "HTTPS", "https://h:443"),
    ],
)
def test_base_url(host: str, port: int | None, schema: str | None, url: str) -> None:
    assert base_url(host, port, schema) == url


def test_unusable_connections_fail_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    _set_conn(monkeypatch, host="h", schema="ftp", login="u", password="pw-123")
    with pytest.raises(AirflowException, match="not http or https"):
        AzkabanHook().get_settings()
    _set_conn(monkeypatch, host="h", login="", password="pw-123")
    with pytest.raises(AirflowException, match="user is empty"):
        AzkabanHook().get_settings()
    _set_conn(monkeypatch, host="h", login="u", password="pw-123", extra={"timeout": "soon"})
    with pytest.raises(AirflowException, match="timeout='soon' is not a number"):
        AzkabanHook().get_settings()


def test_client_and_connection_test_against_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    with SandboxServer(SandboxConfig(port=0, data_dir=tmp_path)) as server:
        port = int(server.url.rsplit(":", 1)[1])
        _set_conn(monkeypatch, host="127.0.0.1", port=port, login="azkaban", password="azkaban")
        client = AzkabanHook().get_conn()
        assert isinstance(client, AzkabanClient)
        client.close()
        assert AzkabanHook().test_connection() == (True, "Logged in to Azkaban")
        _set_conn(monkeypatch, host="127.0.0.1", port=port, login="azkaban", password="wrong")
        ok, message = AzkabanHook().test_connection()
        assert ok is False
        assert message

"""`AzkabanHook`: an Airflow Connection of type ``azkaban`` -> Azkaban client settings.

The Connection is read lazily (at run time, inside a task), never at DAG parse time, and only
once per hook: `AzkabanHook.get_settings` keeps the parsed `ConnectionSettings`, so a task, its
operator and its extra link share one lookup. Fields (the form is declared in `provider`):

- ``host`` (may already carry ``http://`` / ``https://``), ``port``, ``schema`` (``http`` or
  ``https``; default ``http``), ``login``, ``password``;
- ``extra``: ``verify`` (``true`` / ``false`` or a CA bundle path), ``timeout`` and
  ``connect_timeout`` (seconds).

Example (environment variable, JSON form)::

    AIRFLOW_CONN_AZKABAN_DEFAULT='{"conn_type": "azkaban", "host": "azkaban.example.com",
        "port": 8443, "schema": "https", "login": "azkaban", "password": "...",
        "extra": {"verify": "/etc/ssl/azkaban-ca.pem", "timeout": 120}}'

Connections of type ``http`` made before the ``azkaban`` type existed keep working: the hook
reads the same fields whatever the type says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException

from azkaban_airflow.provider import CONN_TYPE, HOOK_NAME
from azkaban_airflow.settings import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings

SCHEMES = ("http", "https")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _verify_value(raw: Any) -> bool | str:
    """``extra.verify``: a bool, a bool-like string, or a CA bundle path."""
    if raw is None:
        return True
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    return text


def base_url(host: str | None, port: int | None, schema: str | None) -> str:
    """``scheme://host[:port]`` from Connection fields; ``host`` may already hold a scheme."""
    if not host:
        raise AirflowException("Azkaban connection has no host")
    host = host.strip().rstrip("/")
    if "://" in host:
        scheme, _, rest = host.partition("://")
    else:
        scheme, rest = (schema or "http").strip().lower(), host
    if scheme not in SCHEMES:
        raise AirflowException(
            f"Azkaban connection scheme {scheme!r} is not http or https "
            "(set the Connection's schema field to http or https)"
        )
    has_port = ":" in rest.split("/", 1)[0]
    return f"{scheme}://{rest}" if port is None or has_port else f"{scheme}://{rest}:{port}"


def settings_from_fields(
    *,
    host: str | None,
    port: int | None,
    schema: str | None,
    login: str | None,
    password: str | None,
    extra: Mapping[str, Any],
) -> ConnectionSettings:
    """Build `ConnectionSettings` from a Connection's fields (pure; unit-testable)."""
    from azkaban_seeder.azkaban import ConnectionSettings
    from azkaban_seeder.azkaban.errors import SettingsError

    values: dict[str, Any] = {
        "url": base_url(host, port, schema),
        "user": login or "",
        "password": password or "",
        "verify": _verify_value(extra.get("verify")),
    }
    for key in ("timeout", "connect_timeout"):
        if extra.get(key) not in (None, ""):
            try:
                values[key] = float(extra[key])
            except (TypeError, ValueError):
                raise AirflowException(
                    f"Azkaban connection extra {key}={extra[key]!r} is not a number"
                ) from None
    try:
        return ConnectionSettings(**values)
    except SettingsError as exc:
        raise AirflowException(f"Azkaban connection is not usable: {exc}") from exc


class AzkabanHook(BaseHook):
    """Reads the Airflow Connection ``azkaban_conn_id`` and builds Azkaban clients."""

    conn_name_attr = "azkaban_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(self, azkaban_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.azkaban_conn_id = azkaban_conn_id
        self._settings: ConnectionSettings | None = None

    def get_settings(self) -> ConnectionSettings:
        """The Connection's settings: looked up (secrets backends, env vars, or the API server)
        and parsed on first use, then kept; a lookup that failed is tried again next time."""
        if self._settings is None:
            conn = self.get_connection(self.azkaban_conn_id)
            self._settings = settings_from_fields(
                host=conn.host,
                port=conn.port,
                schema=conn.schema,
                login=conn.login,
                password=conn.password,
                extra=conn.extra_dejson,
            )
        return self._settings

    def get_conn(self) -> AzkabanClient:
        """A new `AzkabanClient` for the Connection (the caller closes it)."""
        from azkaban_seeder.azkaban import AzkabanClient

        return AzkabanClient(self.get_settings())

    def test_connection(self) -> tuple[bool, str]:
        """Log in once (``POST /?action=login``); used by the UI's connection test button."""
        try:
            with self.get_conn() as client:
                client.login()
        except Exception as exc:  # the UI shows the message; no secret is in it
            return False, str(exc)
        return True, "Logged in to Azkaban"

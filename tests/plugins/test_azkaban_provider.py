"""The connection type ``azkaban`` and its form, as Airflow's ProvidersManager and UI see them."""

from __future__ import annotations

import dataclasses
import json

import pytest

from azkaban_airflow.hooks import AzkabanHook, settings_from_fields
from azkaban_airflow.provider import CONN_FIELDS, get_provider_info
from azkaban_seeder.azkaban import ConnectionSettings

EXTRAS = ["verify", "timeout", "connect_timeout"]


def test_provider_info_passes_airflows_schema() -> None:
    from airflow.providers_manager import ProvidersManager

    info = get_provider_info()
    ProvidersManager()._provider_schema_validator.validate(info)
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == AzkabanHook.conn_type == "azkaban"
    assert conn["hook-class-name"] == f"{AzkabanHook.__module__}.{AzkabanHook.__name__}"
    assert list(conn["conn-fields"]) == EXTRAS


def test_providers_manager_lists_the_azkaban_type_with_its_fields() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    (meta,) = [
        m for m in manager.iter_connection_type_hook_ui_metadata() if m.connection_type == "azkaban"
    ]
    assert meta.hook_name == "Azkaban"
    assert meta.hook_class_name == "azkaban_airflow.hooks.AzkabanHook"
    widgets = manager._connection_form_widgets_from_metadata
    assert [k for k in widgets if k.startswith("extra__azkaban__")] == [
        f"extra__azkaban__{name}" for name in EXTRAS
    ]
    assert widgets["extra__azkaban__timeout"].field["schema"]["type"] == ["number", "null"]


def test_task_runtime_imports_the_hook_for_the_type() -> None:
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    info = ProvidersManagerTaskRuntime().hooks["azkaban"]
    assert info is not None
    assert (info.hook_name, info.connection_id_attribute_name) == ("Azkaban", "azkaban_conn_id")
    assert info.connection_testable is True


def test_the_ui_hook_meta_offers_the_azkaban_form() -> None:
    # What GET /ui/connections/hook_meta (Admin > Connections > Add) returns for the type.
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    (meta,) = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "azkaban"]
    assert meta.hook_name == "Azkaban"
    assert list(meta.extra_fields or {}) == EXTRAS
    verify = (meta.extra_fields or {})["verify"]
    assert verify["schema"]["title"] == "Verify TLS"
    assert meta.standard_fields is not None
    assert meta.standard_fields.url_schema is not None
    assert meta.standard_fields.url_schema.title == "Scheme"
    assert meta.standard_fields.login is not None
    assert meta.standard_fields.login.title == "Azkaban user"


@pytest.mark.parametrize("name", ["timeout", "connect_timeout"])
def test_the_form_states_the_client_defaults(name: str) -> None:
    default = {f.name: f.default for f in dataclasses.fields(ConnectionSettings)}[name]
    assert CONN_FIELDS[name]["description"].endswith(f"blank: {default:g}")


def test_what_the_form_stores_is_what_the_hook_reads() -> None:
    # The UI writes each extra field under its own name; blank number fields become null.
    extra = json.loads('{"verify": "false", "timeout": 90, "connect_timeout": null}')
    settings = settings_from_fields(
        host="az", port=8443, schema="https", login="u", password="pw-123", extra=extra
    )
    assert (settings.url, settings.verify) == ("https://az:8443", False)
    assert (settings.timeout, settings.connect_timeout) == (90.0, 10.0)

"""Provider info Airflow reads through the ``apache_airflow_provider`` entry point.

It declares the connection type ``azkaban`` (offered as "Azkaban" in Admin > Connections), the
hook that reads it, and the connection form, declaratively, the way Airflow 3.2+ providers do:
``conn-fields`` are the extra fields (JSON-schema typed; the UI stores each one in the
Connection's ``extra`` under its own name) and ``ui-field-behaviour`` relabels the standard
fields and gives them placeholders. Airflow reads all of it without importing the hook module
(``ProvidersManager``; the UI gets it from ``GET /ui/connections/hook_meta``), so this module
imports nothing of the package.
"""

from __future__ import annotations

import copy
from typing import Any

CONN_TYPE = "azkaban"
HOOK_NAME = "Azkaban"
HOOK_CLASS_NAME = "azkaban_airflow.hooks.AzkabanHook"

#: The Connection's extra fields (``extra`` keys), as the form shows them.
CONN_FIELDS: dict[str, dict[str, Any]] = {
    "verify": {
        "label": "Verify TLS",
        "description": "true (system CAs), false (no certificate check) or the path of a CA "
        "bundle on the workers; blank: true",
        "schema": {"type": ["string", "null"]},
    },
    "timeout": {
        "label": "Read timeout (seconds)",
        "description": "Seconds to wait for each reply; blank: 60",
        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0},
    },
    "connect_timeout": {
        "label": "Connect timeout (seconds)",
        "description": "Seconds to wait for the TCP connection; blank: 10",
        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0},
    },
}

#: How the form shows the standard fields (all of them are used).
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": [],
    "relabeling": {"schema": "Scheme", "login": "Azkaban user"},
    "placeholders": {
        "host": "azkaban.example.com (or https://azkaban.example.com:8443)",
        "port": "8443",
        "schema": "http or https (default http)",
        "login": "azkaban",
    },
}


def get_provider_info() -> dict[str, Any]:
    """The provider's description, in the shape of Airflow's ``provider_info.schema.json``."""
    return {
        "package-name": "azkaban-seeder",
        "name": "Azkaban (azkaban-seeder)",
        "description": "Rebuild Azkaban test environments: Connection type, hook and operators.",
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": HOOK_CLASS_NAME,
                "hook-name": HOOK_NAME,
                "conn-fields": copy.deepcopy(CONN_FIELDS),
                "ui-field-behaviour": copy.deepcopy(UI_FIELD_BEHAVIOUR),
            }
        ],
    }

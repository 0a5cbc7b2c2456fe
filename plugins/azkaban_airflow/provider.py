"""Provider info Airflow reads through the ``apache_airflow_provider`` entry point.

It declares the connection type ``azkaban`` (so "Azkaban" is offered in Admin > Connections)
and names the hook that reads it. Airflow calls this without importing the hook module.
"""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    """The provider's description, in the shape of Airflow's ``provider_info.schema.json``."""
    return {
        "package-name": "azkaban-seeder",
        "name": "Azkaban (azkaban-seeder)",
        "description": "Rebuild Azkaban test environments: Connection type, hook and operators.",
        "connection-types": [
            {
                "connection-type": "azkaban",
                "hook-class-name": "azkaban_airflow.hooks.AzkabanHook",
                "hook-name": "Azkaban",
            }
        ],
    }

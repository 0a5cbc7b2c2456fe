"""Registration of the azkaban-seeder Airflow plugin (extra links).

Airflow finds it through the ``airflow.plugins`` entry point of the installed package (see
pyproject.toml), so a deployment only needs ``pip install 'azkaban-seeder[airflow]'``. The
package's folder inside ``plugins/`` is listed in ``plugins/.airflowignore``: Airflow's
plugins-folder loader imports every file there as a top-level module, which would register
the plugin twice and load each module under a second name.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from azkaban_airflow.links import AzkabanProjectLink


class AzkabanSeederPlugin(AirflowPlugin):
    """Registers the Azkaban project link with Airflow."""

    name = "azkaban_seeder"
    operator_extra_links = [AzkabanProjectLink()]

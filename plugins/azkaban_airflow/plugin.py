"""Registration of the azkaban-seeder Airflow plugin: extra links, the report app, a menu entry.

- ``operator_extra_links``: *Azkaban project* (each shard task) and *Run report* (the report
  task), so the api-server knows both links of deserialized DAGs;
- ``fastapi_apps``: `report_app.app`, mounted by the api-server at ``/azkaban-seeder`` (it
  authenticates every request itself, see `report_app`);
- ``external_views``: *Azkaban reports* in the UI's Browse menu, the list of recent reports
  (shown inside the UI, in a frame at ``/plugin/azkaban-reports``).

Airflow finds it through the ``airflow.plugins`` entry point of the installed package (see
pyproject.toml), so a deployment only needs ``pip install 'azkaban-seeder[airflow]'``. The
package's folder inside ``plugins/`` is listed in ``plugins/.airflowignore``: Airflow's
plugins-folder loader imports every file there as a top-level module, which would register
the plugin twice and load each module under a second name.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from azkaban_airflow.links import REPORT_APP_PREFIX, AzkabanProjectLink, RunReportLink
from azkaban_airflow.report_app import app as report_app

REPORTS_VIEW_ROUTE = "azkaban-reports"


class AzkabanSeederPlugin(AirflowPlugin):
    """Registers the links, the report app and its menu entry with Airflow."""

    name = "azkaban_seeder"
    operator_extra_links = [AzkabanProjectLink(), RunReportLink()]
    fastapi_apps = [
        {"app": report_app, "url_prefix": REPORT_APP_PREFIX, "name": "azkaban-seeder reports"}
    ]
    external_views = [
        {
            "name": "Azkaban reports",
            "href": f"{REPORT_APP_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": REPORTS_VIEW_ROUTE,
        }
    ]

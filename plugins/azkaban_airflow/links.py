"""Extra links: each ``upload_shard`` instance to its first project in Azkaban, and the
``report`` task to the run's report page (served by this package's api-server plugin).

How Airflow 3 resolves operator links: when a task instance finishes, the task process calls
``get_link`` on the operator (already unmapped, so ``operator.shard`` is this instance's shard)
and stores the URL as an XCom under ``xcom_key``; the API server and UI then read that XCom.
So the link works per map index and costs no Connection lookup in the API server. The base URL
comes from the operator's hook, which parsed the Connection once in ``execute``. The report
link is built from the task instance key alone (DAG id, run id) and Airflow's ``[api]
base_url``, so it exists for a failed report task too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

logger = logging.getLogger(__name__)

LINK_NAME = "Azkaban project"
REPORT_LINK_NAME = "Run report"
#: Where the plugin's FastAPI app is mounted in the api-server (see `report_app`).
REPORT_APP_PREFIX = "/azkaban-seeder"


def report_url(base: str, dag_id: str, run_id: str) -> str:
    """The report page of one run: ``{base}/azkaban-seeder/reports/{dag_id}/{run_id}``."""
    path = f"{REPORT_APP_PREFIX}/reports/{quote(dag_id, safe='')}/{quote(run_id, safe='')}"
    return f"{base.rstrip('/')}{path}"


def project_url(base: str, project: str) -> str:
    """Azkaban's project page: ``GET {base}/manager?project={name}``."""
    return f"{base.rstrip('/')}/manager?project={quote(project, safe='')}"


def first_project(shard: Any) -> str | None:
    """Name of the first project of a shard descriptor (``Shard.to_ref()`` form)."""
    if not isinstance(shard, dict):
        return None
    name = shard.get("first_name")
    return str(name) if name else None


class AzkabanProjectLink(BaseOperatorLink):
    """``{base}/manager?project={first project of the shard}``."""

    name = LINK_NAME

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        project = first_project(getattr(operator, "shard", None))
        if project is None:
            return ""
        base = _azkaban_url(operator)
        return project_url(base, project) if base else ""


def _azkaban_url(operator: Any) -> str | None:
    """The Azkaban URL of the operator's hook (its Connection settings are cached there)."""
    hook = getattr(operator, "hook", None)
    if hook is None:  # an operator without an Azkaban hook: read its Connection id
        from azkaban_airflow.hooks import AzkabanHook

        hook = AzkabanHook(getattr(operator, "azkaban_conn_id", AzkabanHook.default_conn_name))
    try:
        return str(hook.get_settings().url)
    except Exception as exc:  # a link must never fail the task; log and show none
        logger.warning("no Azkaban link: connection %s unusable (%s)", hook.azkaban_conn_id, exc)
        return None


class RunReportLink(BaseOperatorLink):
    """``{[api] base_url}/azkaban-seeder/reports/{dag_id}/{run_id}``: the run's report page."""

    name = REPORT_LINK_NAME

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk import conf

        base = conf.get("api", "base_url", fallback="") or ""
        return report_url(base, ti_key.dag_id, ti_key.run_id)

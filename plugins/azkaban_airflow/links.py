"""Extra link from each ``upload_shard`` task instance to its first project in Azkaban.

How Airflow 3 resolves operator links: when a task instance finishes, the task process calls
``get_link`` on the operator (already unmapped, so ``operator.shard`` is this instance's shard)
and stores the URL as an XCom under ``xcom_key``; the API server and UI then read that XCom.
So the link works per map index and costs no Connection lookup in the API server.
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


def project_url(base: str, project: str) -> str:
    """Azkaban's project page: ``GET {base}/manager?project={name}``."""
    return f"{base.rstrip('/')}/manager?project={quote(project, safe='')}"


def first_project(shard: Any) -> str | None:
    """Name of the first project of a shard descriptor (``Shard.to_dict()`` form)."""
    if not isinstance(shard, dict):
        return None
    projects = shard.get("projects") or []
    if not projects:
        return None
    return str(projects[0]["name"])


class AzkabanProjectLink(BaseOperatorLink):
    """``{base}/manager?project={first project of the shard}``."""

    name = LINK_NAME

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        project = first_project(getattr(operator, "shard", None))
        if project is None:
            return ""
        base = getattr(operator, "azkaban_url", None)
        if not base:
            base = _url_from_connection(getattr(operator, "azkaban_conn_id", "azkaban_default"))
        return project_url(base, project) if base else ""


def _url_from_connection(conn_id: str) -> str | None:
    # Only reached when execute() failed before it resolved the Connection itself.
    from azkaban_airflow.hooks import AzkabanHook

    try:
        return AzkabanHook(conn_id).get_settings().url
    except Exception as exc:  # a link must never fail the task; log and show none
        logger.warning("no Azkaban link: connection %s unusable (%s)", conn_id, exc)
        return None

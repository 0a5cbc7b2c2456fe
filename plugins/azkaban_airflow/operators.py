"""`AzkabanShardOperator`: upload one shard; the mapped task of ``azkaban_env_rebuild``.

A classic operator (not ``@task``) so it can carry the `AzkabanProjectLink` extra link.
The shard's result is pushed as XCom ``shard_result`` whether the shard succeeded or not, so
the ``report`` task can name every failed project and its reason; then a failed shard fails
its task instance, which can be cleared and re-run alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowTaskTimeout

from azkaban_airflow.links import AzkabanProjectLink

SHARD_RESULT_KEY = "shard_result"


class AzkabanShardOperator(BaseOperator):
    """Build and upload the projects of ``shard`` (a ``Shard.to_dict()`` descriptor)."""

    operator_extra_links = (AzkabanProjectLink(),)
    ui_color = "#e8f4ea"

    def __init__(
        self,
        *,
        shard: Mapping[str, Any],
        azkaban_conn_id: str = "azkaban_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.shard = shard
        self.azkaban_conn_id = azkaban_conn_id
        self.azkaban_url: str | None = None

    def execute(self, context: Any) -> None:
        from azkaban_airflow import tasks as azkaban_rebuild
        from azkaban_airflow.hooks import AzkabanHook

        settings = AzkabanHook(self.azkaban_conn_id).get_settings()
        self.azkaban_url = settings.url
        ti = context["ti"]
        try:
            result = azkaban_rebuild.upload_shard(context["params"], self.shard, settings)
        except (Exception, AirflowTaskTimeout) as exc:
            # Record why, so the report names the shard's projects, then fail as usual.
            reason = f"shard aborted: {type(exc).__name__}: {exc}"
            ti.xcom_push(
                SHARD_RESULT_KEY, azkaban_rebuild.failed_shard(self.shard, reason).to_dict()
            )
            raise
        ti.xcom_push(SHARD_RESULT_KEY, result.to_dict())
        if not result.ok:
            failed = result.failed
            first = failed[0] if failed else None
            detail = f"{first.project}: {first.error}" if first else str(result.error)
            raise AirflowException(
                f"shard {result.label}: {len(failed)} of {len(result.projects)} project(s) "
                f"failed; first: {detail}"
            )

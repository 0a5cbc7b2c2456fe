"""The classic operators of the rebuild DAGs (classic, not ``@task``: they carry extra links).

`AzkabanShardOperator` uploads one shard (the mapped task); `AzkabanReportOperator` writes the
run report, links to its page and, when the run is complete (and, for shape ``profile``, alike
its profile: the ``likeness`` task's verdict), updates the environment's Asset.

A classic operator (not ``@task``) so it can carry the `AzkabanProjectLink` extra link.
The shard's result is pushed as XCom ``shard_result`` whether the shard succeeded or not, so
the ``report`` task can name every failed project and its reason; then a failed shard fails
its task instance, which can be cleared and re-run alone.

The operator owns one `AzkabanHook` (``self.hook``, created on first use inside ``execute``):
the Connection is parsed once per task instance and the extra link reuses it.

The report's Asset: its URI (``azkaban://<host>:<port>/<prefix>``) is known only at run time,
so the task declares the alias `REBUILT_ALIAS` as its outlet and attaches the concrete Asset to
it when the run is complete (``outlet_events[alias].add(Asset(...))``). A DAG scheduled on
that Asset (or on the alias) runs after every complete rebuild of that environment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from airflow.sdk import Asset, AssetAlias, BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowTaskTimeout

from azkaban_airflow import profile_tasks, tasks
from azkaban_airflow.hooks import AzkabanHook
from azkaban_airflow.links import AzkabanProjectLink, RunReportLink
from azkaban_airflow.settings import DEFAULT_CONN_ID

logger = logging.getLogger(__name__)

SHARD_RESULT_KEY = "shard_result"
#: Task ids of the rebuild DAGs that the report task reads from.
PLAN_TASK_ID, UPLOAD_TASK_ID, VERIFY_TASK_ID = "plan", "upload_shard", "verify"
#: The outlet of every rebuild's report task; resolves to ``azkaban://<host>:<port>/<prefix>``.
REBUILT_ALIAS_NAME = "azkaban_env_rebuilt"
REBUILT_ALIAS = AssetAlias(REBUILT_ALIAS_NAME)


def planned_shards(ti: Any) -> list[dict[str, Any]] | None:
    """The plan's shards, pulled rather than passed: after a failed plan there are none."""
    shards = ti.xcom_pull(task_ids=PLAN_TASK_ID)
    return list(shards) if shards else None


class AzkabanShardOperator(BaseOperator):
    """Build and upload the projects of ``shard`` (a ``Shard.to_dict()`` descriptor)."""

    operator_extra_links = (AzkabanProjectLink(),)
    ui_color = "#e8f4ea"

    def __init__(
        self,
        *,
        shard: Mapping[str, Any],
        azkaban_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.shard = shard
        self.azkaban_conn_id = azkaban_conn_id

    @cached_property
    def hook(self) -> AzkabanHook:
        """The hook of ``azkaban_conn_id``; it reads the Connection when first asked."""
        return AzkabanHook(self.azkaban_conn_id)

    def execute(self, context: Any) -> None:
        settings = self.hook.get_settings()
        ti = context["ti"]
        try:
            result = tasks.upload_shard(context["params"], self.shard, settings)
        except (Exception, AirflowTaskTimeout) as exc:
            # Record why, so the report names the shard's projects, then fail as usual.
            reason = f"shard aborted: {type(exc).__name__}: {exc}"
            ti.xcom_push(
                SHARD_RESULT_KEY,
                tasks.failed_shard(context["params"], self.shard, reason).to_dict(),
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


class AzkabanReportOperator(BaseOperator):
    """Build the run report (XCom ``report``, JSON file), then judge the run: fail it when a
    shard failed, a flow is missing or a profile rebuild is not alike its profile (or the
    likeness check gave no verdict), otherwise update the environment's Asset.

    Runs whatever happened upstream (trigger rule ``all_done`` from the DAG factory); a
    failed report task still stores its report and shows its *Run report* link."""

    operator_extra_links = (RunReportLink(),)
    ui_color = "#e8eef8"

    def __init__(self, *, azkaban_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        kwargs.setdefault("outlets", [REBUILT_ALIAS])
        super().__init__(**kwargs)
        self.azkaban_conn_id = azkaban_conn_id

    @cached_property
    def hook(self) -> AzkabanHook:
        return AzkabanHook(self.azkaban_conn_id)

    def execute(self, context: Any) -> None:
        ti, dag_run, params = context["ti"], context["dag_run"], context["params"]
        shards = planned_shards(ti)
        if shards is None:
            # Fail rather than skip: report is the leaf that decides the run's state.
            raise AirflowFailException("no report: the plan task failed (see its log)")
        pulled = ti.xcom_pull(
            task_ids=UPLOAD_TASK_ID, key=SHARD_RESULT_KEY, map_indexes=range(len(shards))
        )
        results = tasks.collect_shard_results(params, shards, pulled)
        verified = ti.xcom_pull(task_ids=VERIFY_TASK_ID)
        started = dag_run.start_date or datetime.now(UTC)
        seconds = (datetime.now(UTC) - started).total_seconds()
        built = tasks.build_run_report(params, results, verified, seconds, dag_run.run_id)
        ti.xcom_push(tasks.REPORT_XCOM_KEY, built)
        alike = ti.xcom_pull(
            task_ids=profile_tasks.LIKENESS_TASK_ID, key=profile_tasks.LIKENESS_XCOM_KEY
        )
        problem = tasks.report_failure(built, verified) or profile_tasks.likeness_failure(
            params, alike
        )
        if problem:
            raise AirflowFailException(problem)
        self._environment_rebuilt(context, built)

    def _environment_rebuilt(self, context: Any, report: Mapping[str, Any]) -> None:
        """Attach ``azkaban://<host>:<port>/<prefix>`` to the alias: one Asset event."""
        uri = tasks.asset_uri(self.hook.get_settings().url, str(report["spec"]["prefix"]))
        extra = {
            "run_id": report["run_id"],
            "flows": report["totals"]["flows_uploaded"],
            "projects": report["totals"]["projects_uploaded"],
            "report_path": report["report_path"],
        }
        context["outlet_events"][REBUILT_ALIAS].add(Asset(name=uri, uri=uri), extra=extra)
        logger.info("environment rebuilt: asset event for %s", uri)

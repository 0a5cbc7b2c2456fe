"""
### Tear down an Azkaban test environment

Manual only. Deletes the projects named `<prefix>_NNNNN` that azkaban-seeder built (ownership
is checked project by project; anything else is left alone and listed). `dry_run` (default on)
only lists what would be deleted: read the task log or the XCom, then trigger again with
`dry_run` off.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, Param, task

from azkaban_airflow.params import prefix_param

DAG_ID = "azkaban_env_teardown"

PARAMS: dict[str, Param] = {
    "prefix": prefix_param("Delete our projects named <prefix>_NNNNN."),
    "dry_run": Param(
        True,
        type="boolean",
        title="Dry run",
        description="Only list what would be deleted.",
    ),
}


@task(task_id="teardown")
def teardown(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from azkaban_airflow import tasks as azkaban_rebuild
    from azkaban_airflow.hooks import AzkabanHook

    values = params or {}
    settings = AzkabanHook().get_settings()
    return azkaban_rebuild.teardown_prefix(str(values["prefix"]), bool(values["dry_run"]), settings)


with DAG(
    dag_id=DAG_ID,
    description="Delete the Azkaban projects of a prefix that azkaban-seeder built",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    default_args={"retries": 0},
    tags=["azkaban"],
    doc_md=__doc__,
) as dag:
    teardown()

"""One definition, several DAGs: variants differ in id, schedule and Params, never in tasks."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, task

from azkaban_airflow.dag_factory import (
    RebuildVariant,
    build_rebuild_dag,
    nightly,
    on_demand,
)
from azkaban_airflow.params import rebuild_params
from azkaban_airflow.settings import load_nightly_settings, load_settings

SETTINGS = load_settings({})


def _shape(dag: Any) -> dict[str, set[str]]:
    return {t.task_id: set(t.downstream_task_ids) for t in dag.tasks}


def test_on_demand_and_nightly_share_every_task() -> None:
    night = load_nightly_settings({}, max_map_length=1024)
    a = build_rebuild_dag(on_demand(SETTINGS), SETTINGS)
    b = build_rebuild_dag(nightly(SETTINGS, night), SETTINGS)
    assert _shape(a) == _shape(b)
    assert [type(t).__name__ for t in a.tasks] == [type(t).__name__ for t in b.tasks]
    assert (a.timetable.can_be_scheduled, b.timetable.can_be_scheduled) == (False, True)


@task(task_id="smoke_test", multiple_outputs=False)
def _smoke_test() -> str:
    return "ok"


def test_a_variant_adds_params_and_a_check_between_likeness_and_report() -> None:
    # A variant extends the shared graph: one more param, one more task before the report.
    params = {**rebuild_params(4), "smoke_level": Param(1, type="integer", title="Smoke level")}
    variant = RebuildVariant(
        dag_id="azkaban_env_smoke",
        description="rebuild, then a smoke test",
        doc_md="smoke",
        params=params,
        checks=(lambda settings: _smoke_test(),),
        extra_params=frozenset({"unused_extra"}),
    )
    dag = build_rebuild_dag(variant, SETTINGS)
    assert dag.get_task("verify").downstream_task_ids == {"likeness"}
    assert dag.get_task("likeness").downstream_task_ids == {"smoke_test"}
    assert dag.get_task("smoke_test").downstream_task_ids == {"report"}
    assert "smoke_level" in dag.params
    assert dag.get_task("plan").op_kwargs == {"extra_params": ["unused_extra"]}

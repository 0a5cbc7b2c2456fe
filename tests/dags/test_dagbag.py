"""The DAG files parse cleanly, cheaply and without I/O, and declare what the docs promise."""

from __future__ import annotations

import dataclasses
import socket
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest

from azkaban_seeder import spec as spec_module
from azkaban_seeder.plan import plan_shards
from azkaban_seeder.spec import EnvSpec, RunOptions

DAGS = Path(__file__).resolve().parents[2] / "dags"
REBUILD, TEARDOWN = "azkaban_env_rebuild", "azkaban_env_teardown"
PLUGIN_MODULES = (
    "azkaban_airflow.hooks",
    "azkaban_airflow.links",
    "azkaban_airflow.tasks",
    "azkaban_airflow.operators",
)


def _dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag  # noqa: F401 - import outside the timing

    started = time.perf_counter()
    bag = _dagbag()
    # Recorded in `pytest -s` output; benchmarks/bench_dag_parse.py measures it properly.
    print(f"\nparse time of dags/: {time.perf_counter() - started:.3f}s ({len(bag.dags)} DAGs)")
    return bag


def _params(dag):  # type: ignore[no-untyped-def]
    return {name: dag.params.get_param(name) for name in dag.params}


def test_no_import_errors_and_both_dags(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert {REBUILD, TEARDOWN} <= set(dagbag.dags)


@pytest.mark.parametrize("dag_id", [REBUILD, TEARDOWN])
def test_dag_serializes(dagbag, dag_id) -> None:  # type: ignore[no-untyped-def]
    # The dag-processor stores DAGs serialized; a non-serializable argument breaks only there.
    from airflow.serialization.serialized_objects import DagSerialization

    restored = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags[dag_id]))
    assert set(restored.task_ids) == set(dagbag.dags[dag_id].task_ids)


def test_parse_makes_no_network_call(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    attempts: list[object] = []

    def refuse(self, address):  # type: ignore[no-untyped-def]
        attempts.append(address)
        raise OSError("network access during DAG parsing")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    # Re-import the plugin modules too: their import-time code is part of every parse.
    for name in PLUGIN_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    bag = _dagbag()
    assert bag.import_errors == {}
    assert {REBUILD, TEARDOWN} <= set(bag.dags)
    assert attempts == []


def test_params_are_the_env_spec_fields_plus_run_options(dagbag) -> None:  # type: ignore[no-untyped-def]
    params = _params(dagbag.dags[REBUILD])
    spec_fields = {f.name for f in dataclasses.fields(EnvSpec)} - {"max_map_length"}
    option_fields = {f.name for f in dataclasses.fields(RunOptions)}
    assert spec_fields <= set(params)
    assert set(params) - spec_fields == {"processes", "mode"}
    assert "processes" in option_fields


def test_param_defaults_are_the_env_spec_defaults(dagbag) -> None:  # type: ignore[no-untyped-def]
    params = _params(dagbag.dags[REBUILD])
    defaults = EnvSpec().to_dict()
    for name, param in params.items():
        if name in defaults:
            assert param.value == defaults[name], name
    assert params["flow_count"].value == 10_000
    assert params["shape"].value == "single"
    assert params["mode"].value == "converge"


def test_param_bounds_match_the_spec_limits(dagbag) -> None:  # type: ignore[no-untyped-def]
    params = _params(dagbag.dags[REBUILD])
    assert params["flow_count"].schema["maximum"] == spec_module.MAX_FLOW_COUNT
    assert params["flows_per_project"].schema["maximum"] == spec_module.MAX_FLOWS_PER_PROJECT
    assert params["projects_per_shard"].schema["maximum"] == spec_module.MAX_PROJECTS_PER_SHARD
    assert params["processes"].schema["maximum"] == spec_module.MAX_PROCESSES
    assert params["prefix"].schema["maxLength"] == spec_module.MAX_PREFIX_LENGTH
    assert params["command"].schema["maxLength"] == spec_module.MAX_COMMAND_LENGTH
    assert params["flow_format"].schema["enum"] == list(spec_module.FLOW_FORMATS)
    for name in ("flow_count", "flows_per_project", "projects_per_shard", "processes"):
        assert params[name].schema["minimum"] == 1, name


def test_every_param_has_title_description_and_section(dagbag) -> None:  # type: ignore[no-untyped-def]
    for name, param in _params(dagbag.dags[REBUILD]).items():
        assert param.schema.get("title"), name
        assert param.description, name
        assert param.schema.get("section"), name


def test_defaults_validate_and_plan_within_max_map_length(dagbag) -> None:  # type: ignore[no-untyped-def]
    # A scheduled run uses the defaults: they must pass both the form schema and EnvSpec.
    dag = dagbag.dags[REBUILD]
    resolved = dag.params.validate()
    spec = EnvSpec.from_mapping(
        {k: v for k, v in resolved.items() if k not in ("processes", "mode")}
    )
    shards = plan_shards(spec)
    assert 1 < len(shards) <= spec.max_map_length
    assert sum(s.flow_count for s in shards) == 10_000


def test_form_rejects_out_of_bound_values(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk.definitions.param import ParamValidationError

    params = dagbag.dags[REBUILD].params
    for name, bad in [("flow_count", 0), ("processes", 65), ("flow_format", "3.0")]:
        with pytest.raises(ParamValidationError):
            params.get_param(name).resolve(bad)
    with pytest.raises(ParamValidationError):
        params.get_param("prefix").resolve("9lives")


def test_schedule_and_run_limits(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags[REBUILD]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.timetable.expression == "0 2 * * *"
    assert dag.timetable.run_immediately is False


def test_unpausing_does_not_start_a_rebuild(dagbag) -> None:  # type: ignore[no-untyped-def]
    # Regression: with a start_date in the past, CronTriggerTimetable + catchup=False created
    # today's 02:00 run the moment the DAG was unpaused (a surprise 10,000-flow rebuild that
    # also held max_active_runs=1 against the manual run). The first run must be in the future.
    from datetime import UTC, datetime

    from airflow.serialization.serialized_objects import DagSerialization

    dag = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags[REBUILD]))
    first = dag.next_dagrun_info(last_automated_run_info=None)
    assert first is not None
    assert first.run_after > datetime.now(UTC)
    assert first.run_after.hour == 2
    teardown = dagbag.dags[TEARDOWN]
    assert teardown.timetable.can_be_scheduled is False  # manual only
    assert teardown.params.get_param("dry_run").value is True


def test_task_graph(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags[REBUILD]
    assert dag.task_ids == ["plan", "prepare", "upload_shard", "verify", "report"]
    # upload_shard also maps over the plan's output.
    assert dag.get_task("plan").downstream_task_ids == {"prepare", "upload_shard"}
    assert dag.get_task("prepare").downstream_task_ids == {"upload_shard"}
    assert dag.get_task("upload_shard").downstream_task_ids == {"verify"}
    assert dag.get_task("verify").downstream_task_ids == {"report"}
    for task_id in ("verify", "report"):
        assert dag.get_task(task_id).trigger_rule == "all_done", task_id


def test_mapped_upload_task_is_bounded_and_labelled(dagbag) -> None:  # type: ignore[no-untyped-def]
    task = dagbag.dags[REBUILD].get_task("upload_shard")
    assert task.is_mapped
    assert task.partial_kwargs["max_active_tis_per_dagrun"] == 4
    assert task.partial_kwargs["retries"] == 0
    assert isinstance(task.partial_kwargs["execution_timeout"], timedelta)
    assert task.partial_kwargs["execution_timeout"] > timedelta(0)
    template = task.partial_kwargs["map_index_template"]
    assert template
    # The label the UI shows for a shard: rendered from the shard descriptor plan produces.
    shard = plan_shards(EnvSpec(flow_count=2_000))[1]
    descriptor = {**shard.to_dict(), "label": shard.label}
    rendered = jinja2.Template(template).render(task=SimpleNamespace(shard=descriptor))
    assert rendered == "stress_00010..stress_00019"


def test_mapped_task_carries_the_azkaban_link(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.serialization.serialized_objects import DagSerialization

    dag = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags[REBUILD]))
    assert "Azkaban project" in dag.get_task("upload_shard").extra_links

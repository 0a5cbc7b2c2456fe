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

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
REBUILD, NIGHTLY, TEARDOWN = "azkaban_env_rebuild", "azkaban_env_nightly", "azkaban_env_teardown"
PROFILE = "azkaban_env_profile"
ALL_DAGS = (REBUILD, NIGHTLY, TEARDOWN, PROFILE)
REBUILDS = (REBUILD, NIGHTLY)
PLUGIN_MODULES = (
    "azkaban_airflow.settings",
    "azkaban_airflow.provider",
    "azkaban_airflow.hooks",
    "azkaban_airflow.links",
    "azkaban_airflow.params",
    "azkaban_airflow.report_files",
    "azkaban_airflow.tasks",
    "azkaban_airflow.profile_tasks",
    "azkaban_airflow.operators",
    "azkaban_airflow.dag_factory",
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


def test_no_import_errors_and_four_dags(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert set(ALL_DAGS) <= set(dagbag.dags)
    # Each DAG belongs to its own file (the factory module builds them, the files own them).
    for dag_id in ALL_DAGS:
        assert dagbag.dags[dag_id].fileloc == str(DAGS / f"{dag_id}.py")


@pytest.mark.parametrize("dag_id", ALL_DAGS)
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
    assert set(ALL_DAGS) <= set(bag.dags)
    assert attempts == []


def test_params_are_the_env_spec_fields_plus_run_options(dagbag) -> None:  # type: ignore[no-untyped-def]
    params = _params(dagbag.dags[REBUILD])
    spec_fields = {f.name for f in dataclasses.fields(EnvSpec)} - {
        "max_map_length",
        "parallel_shards",
    }
    option_fields = {f.name for f in dataclasses.fields(RunOptions)}
    assert spec_fields <= set(params)
    assert set(params) - spec_fields == {"processes", "force", "mode"}
    assert {"processes", "force"} <= option_fields


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
    table = {**spec_module.ENV_FIELDS, **spec_module.RUN_FIELDS}
    shown = {name: f for name, f in table.items() if f.form}
    assert set(shown) <= set(params)
    for name, field in shown.items():
        schema = params[name].schema
        assert params[name].value == field.default, name
        for key, value in field.json_schema().items():
            if key == "type" and field.default == "":
                # Empty text means "none": the form must let it stay empty (see below).
                assert schema[key] == [value, "null"], name
                continue
            assert schema[key] == value, (name, key)
    assert params["flow_count"].schema["maximum"] == 1_000_000
    assert params["prefix"].schema["maxLength"] == 57
    assert params["flow_format"].schema["enum"] == ["1.0", "2.0"]
    for name in ("flow_count", "flows_per_project", "processes"):
        assert params[name].schema["minimum"] == 1, name
    assert params["projects_per_shard"].schema["minimum"] == 0  # 0 = auto


@pytest.mark.parametrize("dag_id", ALL_DAGS)
def test_no_field_with_a_default_is_required_by_the_form(dagbag, dag_id) -> None:  # type: ignore[no-untyped-def]
    # Regression: the 3.3 form treats an empty value of a type without null as missing; the
    # Profile file field ("" = none) disabled the Trigger button of the whole form.
    for name, param in _params(dagbag.dags[dag_id]).items():
        types = param.schema.get("type")
        if param.value == "":
            assert isinstance(types, list) and "null" in types, (dag_id, name)


def test_every_param_has_title_description_and_section(dagbag) -> None:  # type: ignore[no-untyped-def]
    for name, param in _params(dagbag.dags[REBUILD]).items():
        assert param.schema.get("title"), name
        assert param.description, name
        assert param.schema.get("section"), name


def test_defaults_validate_and_plan_within_max_map_length(dagbag) -> None:  # type: ignore[no-untyped-def]
    # A scheduled run uses the defaults: they must pass both the form schema and EnvSpec.
    dag = dagbag.dags[REBUILD]
    resolved = dag.params.validate()
    from azkaban_airflow import tasks

    spec = tasks.spec_from_params(resolved)
    shards = plan_shards(spec)
    # Auto sizing: one wave of the deployment's parallel-shard cap (4 by default).
    assert resolved["projects_per_shard"] == 0
    assert len(shards) == spec.parallel_shards == 4 <= spec.max_map_length
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
    rebuild, nightly = dagbag.dags[REBUILD], dagbag.dags[NIGHTLY]
    assert rebuild.timetable.can_be_scheduled is False  # on demand only
    assert rebuild.is_paused_upon_creation is False  # no schedule: unpaused only lets it run
    assert nightly.timetable.expression == "0 2 * * *"
    # Not False: Airflow treats False as "within a tenth of the period" (see dag_factory).
    assert nightly.timetable.run_immediately == timedelta(0)
    assert nightly.is_paused_upon_creation is True
    for dag in (rebuild, nightly):
        assert dag.catchup is False
        assert dag.max_active_runs == 1


@pytest.mark.parametrize("minutes_after_the_tick", [1, 8, 143, 600])
def test_unpausing_shortly_after_the_nightly_tick_waits_for_the_next_one(
    dagbag, monkeypatch, minutes_after_the_tick
) -> None:  # type: ignore[no-untyped-def]
    # Regression (found by this suite when it ran at 02:08 UTC): Airflow's run_immediately=False
    # still runs the last tick when it is within a tenth of the period (2.4 h for a daily
    # cron), so unpausing at 02:08 started a rebuild at once.
    from datetime import UTC, datetime

    import airflow.timetables.trigger as trigger
    from airflow.serialization.serialized_objects import DagSerialization

    now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC) + timedelta(minutes=minutes_after_the_tick)
    monkeypatch.setattr(trigger, "utcnow", lambda: now)
    dag = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags[NIGHTLY]))
    first = dag.next_dagrun_info(last_automated_run_info=None)
    assert first is not None
    assert first.run_after == datetime(2026, 6, 2, 2, 0, tzinfo=UTC)


def test_unpausing_does_not_start_a_rebuild(dagbag) -> None:  # type: ignore[no-untyped-def]
    # Regression: with a start_date in the past, CronTriggerTimetable + catchup=False created
    # today's 02:00 run the moment the DAG was unpaused (a surprise 10,000-flow rebuild that
    # also held max_active_runs=1 against the manual run). The first run must be in the future.
    from datetime import UTC, datetime

    from airflow.serialization.serialized_objects import DagSerialization

    dag = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags[NIGHTLY]))
    first = dag.next_dagrun_info(last_automated_run_info=None)
    assert first is not None
    assert first.run_after > datetime.now(UTC)
    assert first.run_after.hour == 2
    teardown = dagbag.dags[TEARDOWN]
    assert teardown.timetable.can_be_scheduled is False  # manual only
    assert teardown.params.get_param("dry_run").value is True


def test_nightly_params_are_the_deployments_and_nothing_else(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk.definitions.param import ParamValidationError

    rebuild, nightly = _params(dagbag.dags[REBUILD]), _params(dagbag.dags[NIGHTLY])
    assert set(nightly) == set(rebuild)
    for name, param in nightly.items():
        # Same label, section and default; the only value offered is the deployment's.
        assert param.schema["title"] == rebuild[name].schema["title"], name
        assert param.schema.get("section") == rebuild[name].schema.get("section"), name
        assert param.schema["enum"] == [rebuild[name].value], name
        assert "AZKABAN_SEEDER_NIGHTLY_CONF" in str(param.description), name
    with pytest.raises(ParamValidationError):
        nightly["flow_count"].resolve(500)
    dagbag.dags[NIGHTLY].params.validate()  # a scheduled run uses exactly these


def test_nightly_takes_its_schedule_and_params_from_the_deployment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AZKABAN_SEEDER_NIGHTLY_CRON", "30 5 * * 1-5")
    monkeypatch.setenv("AZKABAN_SEEDER_NIGHTLY_CONF", '{"flow_count": 2000, "prefix": "night"}')
    bag = _dagbag()
    assert bag.import_errors == {}
    nightly = bag.dags[NIGHTLY]
    assert nightly.timetable.expression == "30 5 * * 1-5"
    params = _params(nightly)
    assert (params["flow_count"].value, params["prefix"].value) == (2000, "night")
    assert params["flows_per_project"].value == 100  # unset: the form's default
    assert "| `prefix` | `night` |" in nightly.doc_md
    # The on-demand form is untouched by the nightly's settings.
    assert _params(bag.dags[REBUILD])["flow_count"].value == 10_000


@pytest.mark.parametrize(
    ("variable", "value", "text"),
    [
        (
            "AZKABAN_SEEDER_NIGHTLY_CONF",
            '{"flows_per_project": 0}',
            "AZKABAN_SEEDER_NIGHTLY_CONF: Flows per project (flows_per_project): must be "
            "between 1 and 5000 (got 0); fix: pass a whole number 1..5000",
        ),
        (
            "AZKABAN_SEEDER_NIGHTLY_CONF",
            '{"flow_cnt": 5}',
            "AZKABAN_SEEDER_NIGHTLY_CONF: unknown parameter 'flow_cnt'; fix: remove it",
        ),
        ("AZKABAN_SEEDER_NIGHTLY_CONF", "flow_count=5", "AZKABAN_SEEDER_NIGHTLY_CONF is not JSON"),
        ("AZKABAN_SEEDER_NIGHTLY_CONF", "[1]", "must be a JSON object of rebuild params"),
        (
            "AZKABAN_SEEDER_NIGHTLY_CRON",
            "every night",
            "AZKABAN_SEEDER_NIGHTLY_CRON='every night' is not a cron expression",
        ),
    ],
)
def test_a_bad_nightly_setting_breaks_only_the_nightly_file(
    monkeypatch, variable, value, text
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(variable, value)
    bag = _dagbag()
    assert set(bag.import_errors) == {str(DAGS / f"{NIGHTLY}.py")}
    assert text in bag.import_errors[str(DAGS / f"{NIGHTLY}.py")]
    assert {REBUILD, TEARDOWN} <= set(bag.dags)


@pytest.mark.parametrize("dag_id", REBUILDS)
def test_task_graph(dagbag, dag_id) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags[dag_id]
    assert dag.task_ids == ["plan", "prepare", "upload_shard", "verify", "likeness", "report"]
    # upload_shard also maps over the plan's output.
    assert dag.get_task("plan").downstream_task_ids == {"prepare", "upload_shard"}
    assert dag.get_task("prepare").downstream_task_ids == {"upload_shard"}
    assert dag.get_task("upload_shard").downstream_task_ids == {"verify"}
    assert dag.get_task("verify").downstream_task_ids == {"likeness"}
    assert dag.get_task("likeness").downstream_task_ids == {"report"}
    assert dag.get_task("likeness").trigger_rule == "all_success"  # skipped after a failed plan
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
    shard = plan_shards(EnvSpec(flow_count=2_000, projects_per_shard=10))[1]
    descriptor = {**shard.to_dict(), "label": shard.label}
    rendered = jinja2.Template(template).render(task=SimpleNamespace(shard=descriptor))
    assert rendered == "stress_00010..stress_00019"


def test_mapped_task_carries_the_azkaban_link(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.serialization.serialized_objects import DagSerialization

    dag = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags[REBUILD]))
    assert "Azkaban project" in dag.get_task("upload_shard").extra_links


@pytest.mark.parametrize("dag_id", ALL_DAGS)
def test_no_task_stores_each_dict_key_as_an_xcom(dagbag, dag_id) -> None:  # type: ignore[no-untyped-def]
    # Regression (issue 7): `@task` functions annotated `-> dict[...]` got multiple_outputs=True
    # from Airflow, so every key of prepare's, verify's and teardown's result (and the report)
    # was stored once more as its own XCom row.
    decorated = [t for t in dagbag.dags[dag_id].tasks if t.task_type == "_PythonDecoratedOperator"]
    expected = {
        REBUILD: {"plan", "prepare", "verify", "likeness"},
        NIGHTLY: {"plan", "prepare", "verify", "likeness"},
        TEARDOWN: {"teardown"},
        PROFILE: {"profile"},
    }[dag_id]
    assert {t.task_id for t in decorated} == expected
    for task in decorated:
        assert task.multiple_outputs is False, task.task_id


def test_tasks_name_the_connection_of_the_deployment(dagbag) -> None:  # type: ignore[no-untyped-def]
    rebuild = dagbag.dags[REBUILD]
    for task_id in ("prepare", "verify", "likeness"):
        assert rebuild.get_task(task_id).op_kwargs == {"azkaban_conn_id": "azkaban_default"}
    assert rebuild.get_task("upload_shard").partial_kwargs["azkaban_conn_id"] == "azkaban_default"
    teardown = dagbag.dags[TEARDOWN].get_task("teardown")
    assert teardown.op_kwargs == {"azkaban_conn_id": "azkaban_default"}


def test_deployment_settings_come_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AZKABAN_SEEDER_CONN_ID", "azkaban_staging")
    monkeypatch.setenv("AZKABAN_SEEDER_MAX_PARALLEL_SHARDS", "2")
    monkeypatch.setenv("AZKABAN_SEEDER_SHARD_TIMEOUT", "150")
    monkeypatch.setenv("AZKABAN_SEEDER_POOL", "azkaban")
    bag = _dagbag()
    assert bag.import_errors == {}
    rebuild = bag.dags[REBUILD]
    upload = rebuild.get_task("upload_shard").partial_kwargs
    assert upload["azkaban_conn_id"] == "azkaban_staging"
    assert upload["max_active_tis_per_dagrun"] == 2
    assert upload["execution_timeout"] == timedelta(seconds=150)
    assert upload["pool"] == "azkaban"
    assert rebuild.get_task("verify").op_kwargs == {"azkaban_conn_id": "azkaban_staging"}
    assert bag.dags[TEARDOWN].get_task("teardown").op_kwargs == {
        "azkaban_conn_id": "azkaban_staging"
    }


def test_a_bad_deployment_setting_is_an_import_error_that_says_the_fix(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AZKABAN_SEEDER_SHARD_TIMEOUT", "1h")
    bag = _dagbag()
    errors = "\n".join(bag.import_errors.values())
    assert set(bag.import_errors) == {str(DAGS / f"{dag_id}.py") for dag_id in ALL_DAGS}
    assert "AZKABAN_SEEDER_SHARD_TIMEOUT='1h' is not a positive whole number of seconds" in errors


class _RecordingTI:
    """The two XCom calls the report task makes, on a dict."""

    def __init__(self, pulls: dict[tuple[str, str], object]) -> None:
        self.pulls = pulls
        self.pushed: dict[str, object] = {}

    def xcom_pull(self, task_ids: str, key: str = "return_value", **_: object) -> object:
        return self.pulls.get((task_ids, key))

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value


def test_a_failed_rebuild_keeps_its_report_as_xcom(dagbag, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The report task fails the run when a shard failed, after storing the report under its
    # own key (never by pushing `return_value` by hand), and emits no asset event.
    from datetime import UTC, datetime

    from airflow.sdk.exceptions import AirflowFailException

    from azkaban_airflow import tasks

    monkeypatch.setenv("AZKABAN_SEEDER_REPORT_DIR", str(tmp_path))
    params = {**EnvSpec(flow_count=100).to_dict(), "processes": 1, "mode": "converge"}
    params.pop("max_map_length", None)
    params.pop("parallel_shards", None)
    shards = tasks.plan(params)
    ti = _RecordingTI({("plan", "return_value"): shards, ("upload_shard", "shard_result"): [None]})
    dag_run = SimpleNamespace(start_date=datetime.now(UTC), run_id="manual__r1")
    events = _OutletEvents()
    report = dagbag.dags[REBUILD].get_task("report")
    context = {"ti": ti, "dag_run": dag_run, "params": params, "outlet_events": events}
    with pytest.raises(AirflowFailException, match="rebuild incomplete: 1 failed project"):
        report.execute(context)
    assert list(ti.pushed) == [tasks.REPORT_XCOM_KEY] == ["report"]
    stored = ti.pushed["report"]
    assert isinstance(stored, dict)
    assert stored["ok"] is False
    assert stored["run_id"] == "manual__r1"
    assert events.added == []


class _OutletEvents:
    """``context["outlet_events"]``: records what is attached to each alias."""

    def __init__(self) -> None:
        self.added: list[tuple[str, str, dict[str, object]]] = []

    def __getitem__(self, alias):  # type: ignore[no-untyped-def]
        events = self

        class _Accessor:
            def add(self, asset, extra=None):  # type: ignore[no-untyped-def]
                events.added.append((alias.name, asset.uri, dict(extra or {})))

        return _Accessor()


def test_a_complete_rebuild_attaches_the_environment_asset(dagbag, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from azkaban_airflow import tasks
    from azkaban_seeder.plan import Shard
    from azkaban_seeder.runner import ProjectResult, ShardResult

    monkeypatch.setenv("AZKABAN_SEEDER_REPORT_DIR", str(tmp_path))
    monkeypatch.setenv(
        "AIRFLOW_CONN_AZKABAN_DEFAULT",
        '{"conn_type": "azkaban", "host": "az.example.com", "port": 8443, "schema": "https", '
        '"login": "u", "password": "pw1"}',
    )
    params = {**EnvSpec(flow_count=20, prefix="env").to_dict(), "processes": 1, "mode": "converge"}
    params.pop("max_map_length", None)
    params.pop("parallel_shards", None)
    shards = tasks.plan(params)
    spec = tasks.spec_from_params(params)
    done = ShardResult(
        0,
        shards[0]["label"],
        [ProjectResult(p.name, p.flow_count) for p in Shard.from_ref(shards[0], spec).projects],
    )
    verified = {"expected_projects": 1, "expected_flows": 20, "present": 20}
    ti = _RecordingTI(
        {
            ("plan", "return_value"): shards,
            ("upload_shard", "shard_result"): [done.to_dict()],
            ("verify", "return_value"): verified,
        }
    )
    events = _OutletEvents()
    context = {
        "ti": ti,
        "dag_run": SimpleNamespace(start_date=datetime.now(UTC), run_id="manual__ok"),
        "params": params,
        "outlet_events": events,
    }
    dagbag.dags[REBUILD].get_task("report").execute(context)
    ((alias, uri, extra),) = events.added
    assert (alias, uri) == ("azkaban_env_rebuilt", "azkaban://az.example.com:8443/env")
    assert extra["flows"] == 20 and extra["run_id"] == "manual__ok"


@pytest.mark.parametrize("dag_id", REBUILDS)
def test_report_task_outlet_is_the_rebuilt_alias(dagbag, dag_id) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk import AssetAlias
    from airflow.serialization.serialized_objects import DagSerialization

    report = dagbag.dags[dag_id].get_task("report")
    assert report.outlets == [AssetAlias("azkaban_env_rebuilt")]
    restored = DagSerialization.from_dict(DagSerialization.to_dict(dagbag.dags[dag_id]))
    task = restored.get_task("report")
    assert [o.name for o in task.outlets] == ["azkaban_env_rebuilt"]
    assert "Run report" in task.extra_links
    assert task.trigger_rule == "all_done"


def test_teardown_form_has_no_default_prefix_and_a_confirmation(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk.definitions.param import ParamValidationError

    params = dagbag.dags[TEARDOWN].params
    with pytest.raises(ParamValidationError):
        params.get_param("prefix").resolve()  # nothing typed: the form refuses
    assert params.get_param("prefix").resolve("stress") == "stress"
    assert params.get_param("confirm_prefix").value == ""
    assert params.get_param("confirm_prefix").schema["title"] == "Confirm prefix"
    assert params.get_param("dry_run").value is True


def _readme_block(marker: str) -> str:
    """The python code block of README.md that follows ``marker``."""
    text = (ROOT / "README.md").read_text()
    after = text[text.index(marker) :]
    start = after.index("```python\n") + len("```python\n")
    return after[start : after.index("```", start)]


def test_the_readme_downstream_dag_is_scheduled_on_the_rebuilt_asset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    (tmp_path / "stability_tests.py").write_text(_readme_block("<!-- downstream-dag -->"))
    bag = DagBag(dag_folder=str(tmp_path))
    assert bag.import_errors == {}
    (dag,) = bag.dags.values()
    uris = {asset.uri for asset in dag.timetable.asset_condition.objects}
    assert uris == {"azkaban://azkaban.example.com:8443/stress"}


# --------------------------------------------------------------------------- azkaban_env_profile


def test_profile_dag_is_manual_on_its_own_connection(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags[PROFILE]
    assert dag.timetable.can_be_scheduled is False
    assert dag.is_paused_upon_creation is False  # no schedule: unpaused only lets it run
    assert (dag.catchup, dag.max_active_runs) == (False, 1)
    assert dag.task_ids == ["profile"]
    task = dag.get_task("profile")
    assert task.op_kwargs == {"azkaban_conn_id": "azkaban_prod"}
    assert task.retries == 0  # a retry would crawl production again


def test_profile_params_are_the_crawl_field_table_plus_the_output(dagbag) -> None:  # type: ignore[no-untyped-def]
    from azkaban_seeder.crawl import CRAWL_FIELDS, CrawlOptions

    params = _params(dagbag.dags[PROFILE])
    assert set(params) == {*CRAWL_FIELDS, "out"}
    defaults = CrawlOptions()
    for name, field in CRAWL_FIELDS.items():
        assert params[name].value == field.default == getattr(defaults, name), name
        for key, value in field.json_schema().items():
            assert params[name].schema[key] == value, (name, key)
        assert params[name].schema["title"] == field.title
        assert params[name].schema["section"] in ("Sampling", "Gentleness"), name
        assert params[name].description, name
    assert params["out"].value == ""
    assert "<report dir>/profiles/<run id>.json" in str(params["out"].description)
    assert set(params["out"].schema["type"]) == {"string", "null"}
    dagbag.dags[PROFILE].params.validate()  # the defaults are a valid crawl


def test_profile_form_rejects_out_of_bound_values(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk.definitions.param import ParamValidationError

    params = dagbag.dags[PROFILE].params
    for name, bad in [
        ("history_days", 0),
        ("max_in_flight", 9),
        ("rate", 0),
        ("budget_seconds", 0),
        ("max_history_flows", -1),
        ("out", "relative/path.json"),
    ]:
        with pytest.raises(ParamValidationError):
            params.get_param(name).resolve(bad)


def test_profile_connection_comes_from_the_deployment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AZKABAN_SEEDER_PROFILE_CONN_ID", "azkaban_live")
    bag = _dagbag()
    assert bag.import_errors == {}
    assert bag.dags[PROFILE].get_task("profile").op_kwargs == {"azkaban_conn_id": "azkaban_live"}
    # The rebuilds keep their own Connection.
    assert bag.dags[REBUILD].get_task("prepare").op_kwargs == {"azkaban_conn_id": "azkaban_default"}


def test_a_profile_rebuild_that_is_not_alike_fails_after_its_report(
    dagbag, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # The likeness verdict gates the run: the report is written and stored, then the run
    # fails naming the distributions, and no Asset event says "rebuilt".
    from datetime import UTC, datetime

    from airflow.sdk.exceptions import AirflowFailException

    from azkaban_airflow import tasks
    from azkaban_seeder.plan import Shard
    from azkaban_seeder.runner import ProjectResult, ShardResult

    monkeypatch.setenv("AZKABAN_SEEDER_REPORT_DIR", str(tmp_path))
    params = {**EnvSpec(flow_count=20, prefix="like").to_dict(), "processes": 1}
    params.update(mode="converge", shape="profile", profile="/shared/prod.json")
    params.pop("max_map_length", None)
    params.pop("parallel_shards", None)
    spec = tasks.spec_from_params(params)
    shards = [s.to_ref() for s in plan_shards(spec)]
    done = ShardResult(
        0,
        shards[0]["label"],
        [ProjectResult(p.name, p.flow_count) for p in Shard.from_ref(shards[0], spec).projects],
    )
    verdict = {
        "ok": False,
        "failed": ["fan_out"],
        "metrics": {"fan_out": {"metric": "ks", "value": 0.2, "threshold": 0.05}},
        "files": ["/reports/manual__like.likeness.json"],
    }
    ti = _RecordingTI(
        {
            ("plan", "return_value"): shards,
            ("upload_shard", "shard_result"): [done.to_dict()],
            ("verify", "return_value"): {"ok": True, "present": 20},
            ("likeness", "likeness"): verdict,
        }
    )
    events = _OutletEvents()
    context = {
        "ti": ti,
        "dag_run": SimpleNamespace(start_date=datetime.now(UTC), run_id="manual__like"),
        "params": params,
        "outlet_events": events,
    }
    with pytest.raises(AirflowFailException, match=r"not alike its profile: 1 distribution"):
        dagbag.dags[REBUILD].get_task("report").execute(context)
    assert ti.pushed["report"]["ok"] is True  # type: ignore[index]
    assert (tmp_path / "manual__like.json").is_file()
    assert events.added == []
    # No verdict at all (the likeness task broke) fails the run the same way.
    del ti.pulls[("likeness", "likeness")]
    with pytest.raises(AirflowFailException, match="likeness check gave no verdict"):
        dagbag.dags[REBUILD].get_task("report").execute(context)

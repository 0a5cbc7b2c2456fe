"""`azkaban_airflow.settings`: every environment knob of the glue, read and checked in one place."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from azkaban_airflow.settings import (
    DEFAULT_MAX_PARALLEL_SHARDS,
    executor_slots,
    load_nightly_settings,
    load_settings,
)


def test_defaults() -> None:
    settings = load_settings({"AIRFLOW_HOME": "/srv/airflow"})
    assert settings.conn_id == "azkaban_default"
    assert settings.max_parallel_shards == DEFAULT_MAX_PARALLEL_SHARDS == 4
    assert settings.shard_timeout == timedelta(hours=1)
    assert settings.pool == "default_pool"
    assert settings.report_dir == Path("/srv/airflow/reports")


@pytest.mark.parametrize(("slots", "cap"), [(1, 1), (2, 2), (4, 4), (32, 4)])
def test_the_parallel_shard_cap_follows_the_executor_up_to_the_safe_default(
    slots: int, cap: int
) -> None:
    assert load_settings({}, slots=slots).max_parallel_shards == cap
    # The variable overrides it either way.
    env = {"AZKABAN_SEEDER_MAX_PARALLEL_SHARDS": "8"}
    assert load_settings(env, slots=slots).max_parallel_shards == 8


def test_executor_slots_are_parallelism_capped_by_the_per_dag_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "3")
    monkeypatch.setenv("AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG", "16")
    assert executor_slots() == 3
    assert load_settings({}).max_parallel_shards == 3
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "64")
    monkeypatch.setenv("AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG", "2")
    assert executor_slots() == 2


def test_every_variable() -> None:
    settings = load_settings(
        {
            "AZKABAN_SEEDER_CONN_ID": "azkaban_staging",
            "AZKABAN_SEEDER_MAX_PARALLEL_SHARDS": "2",
            "AZKABAN_SEEDER_SHARD_TIMEOUT": " 150 ",
            "AZKABAN_SEEDER_POOL": "azkaban",
            "AZKABAN_SEEDER_REPORT_DIR": "/var/reports",
        }
    )
    assert (settings.conn_id, settings.max_parallel_shards) == ("azkaban_staging", 2)
    assert settings.shard_timeout == timedelta(seconds=150)
    assert (settings.pool, settings.report_dir) == ("azkaban", Path("/var/reports"))


def test_empty_variables_mean_the_default() -> None:
    # docker-compose passes `AZKABAN_SEEDER_POOL:` with no value as an empty string.
    settings = load_settings({"AZKABAN_SEEDER_POOL": "", "AZKABAN_SEEDER_SHARD_TIMEOUT": ""})
    assert (settings.pool, settings.shard_timeout) == ("default_pool", timedelta(hours=1))


def test_bad_values_name_the_variable_and_the_fix() -> None:
    with pytest.raises(ValueError) as failure:
        load_settings(
            {
                "AZKABAN_SEEDER_SHARD_TIMEOUT": "1h",
                "AZKABAN_SEEDER_MAX_PARALLEL_SHARDS": "0",
                "AZKABAN_SEEDER_POOL": "  ",
            }
        )
    message = str(failure.value)
    assert "AZKABAN_SEEDER_SHARD_TIMEOUT='1h' is not a positive whole number of seconds" in message
    assert "fix: set e.g. AZKABAN_SEEDER_SHARD_TIMEOUT=3600" in message
    assert "AZKABAN_SEEDER_MAX_PARALLEL_SHARDS='0' is not a positive whole number" in message
    assert "AZKABAN_SEEDER_POOL is blank" in message


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZKABAN_SEEDER_MAX_PARALLEL_SHARDS", "3")
    assert load_settings().max_parallel_shards == 3


def test_nightly_defaults_are_the_forms_defaults() -> None:
    from azkaban_airflow.params import form_fields

    night = load_nightly_settings({}, max_map_length=1024)
    assert night.cron == "0 2 * * *"
    assert night.params == {name: field.default for name, field in form_fields().items()}


def test_nightly_conf_is_checked_against_the_field_table() -> None:
    night = load_nightly_settings(
        {"AZKABAN_SEEDER_NIGHTLY_CONF": '{"flow_count": "20000", "shape": "chain:3"}'},
        max_map_length=1024,
    )
    assert (night.params["flow_count"], night.params["shape"]) == (20_000, "chain:3")
    with pytest.raises(ValueError) as failure:
        load_nightly_settings(
            {
                "AZKABAN_SEEDER_NIGHTLY_CONF": '{"shape": "chain:0", "mode": "wipe"}',
                "AZKABAN_SEEDER_NIGHTLY_CRON": "61 * * * *",
            },
            max_map_length=1024,
        )
    message = str(failure.value)
    assert "AZKABAN_SEEDER_NIGHTLY_CRON='61 * * * *' is not a cron expression" in message
    assert 'fix: set five fields, e.g. AZKABAN_SEEDER_NIGHTLY_CRON="0 2 * * *"' in message
    assert "AZKABAN_SEEDER_NIGHTLY_CONF: Mode (mode): must be converge | teardown_first" in message


def test_nightly_conf_must_fit_max_map_length() -> None:
    conf = '{"flow_count": 1000, "flows_per_project": 1, "projects_per_shard": 1}'
    with pytest.raises(ValueError, match=r"Projects per shard \(projects_per_shard\)"):
        load_nightly_settings({"AZKABAN_SEEDER_NIGHTLY_CONF": conf}, max_map_length=10)

"""Task bodies of the rebuild DAG: params -> records, failures -> Airflow exceptions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from azkaban_airflow import tasks
from azkaban_seeder.plan import Shard
from azkaban_seeder.runner import ShardResult

DEFAULTS: dict[str, Any] = {
    "flow_count": 10_000,
    "flows_per_project": 100,
    "projects_per_shard": 10,
    "prefix": "stress",
    "flow_format": "1.0",
    "shape": "single",
    "seed": 0,
    "command": "echo {project} {flow} {job}",
    "schedule": "off",
    "processes": 4,
    "mode": "converge",
}


def test_plan_returns_small_shard_descriptors_with_labels() -> None:
    shards = tasks.plan({**DEFAULTS, "flow_count": 2_050})
    assert len(shards) == 3
    assert shards[0]["label"] == "stress_00000..stress_00009"
    assert shards[2]["label"] == "stress_00020"
    spec = tasks.spec_from_params({**DEFAULTS, "flow_count": 2_050})
    assert Shard.from_ref(shards[2], spec).flow_count == 50
    assert len(json.dumps(shards)) < 5_000  # names and counts only, never flow bodies


def test_plan_xcom_stays_small_at_the_forms_maximum() -> None:
    # Regression: at the form's maximum the plan XCom was 66 MB (every project listed).
    biggest = {**DEFAULTS, "flow_count": 1_000_000, "flows_per_project": 1}
    biggest["projects_per_shard"] = 1_000
    shards = tasks.plan(biggest)
    size = len(json.dumps(shards))
    assert len(shards) == 1_000
    assert size < 200 * len(shards), size  # a fixed few fields per shard
    spec = tasks.spec_from_params(biggest)
    rebuilt = [p for ref in shards for p in Shard.from_ref(ref, spec).projects]
    assert [p.name for p in rebuilt[:2]] == ["stress_00000", "stress_00001"]
    assert len(rebuilt) == 1_000_000 and rebuilt[-1].name == "stress_999999"


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (
            {"shape": "chain:0"},
            "Flow shape (shape): chain:N needs N between 1 and 100 (got 0); fix:",
        ),
        ({"command": "run {nope}"}, "Job command (command): unknown placeholder {nope}"),
        ({"schedule": "25:00-26:00"}, "Flow schedules (schedule): not a valid time of day"),
        ({"processes": 0}, "Worker processes per shard (processes): must be between 1 and 64"),
        (
            {"flows_per_project": 0},
            "Flows per project (flows_per_project): must be between 1 and 5000 (got 0); "
            "fix: pass a whole number 1..5000",
        ),
        ({"mode": "wipe"}, "Mode (mode): must be converge | teardown_first (got 'wipe')"),
        ({"flow_count": "ten"}, "Flows (flow_count): must be an integer (got 'ten')"),
        (
            {"flow_count": 1_000_000, "flows_per_project": 1, "projects_per_shard": 1},
            "Projects per shard (projects_per_shard): 1000000 projects make 1000000 shards",
        ),
    ],
)
def test_invalid_params_fail_the_task_for_good(change: dict[str, Any], text: str) -> None:
    with pytest.raises(AirflowFailException) as failure:
        tasks.plan({**DEFAULTS, **change})
    assert text in str(failure.value)


def test_plan_refuses_names_that_are_no_param_and_lists_every_problem() -> None:
    # The trigger's JSON conf may hold any key: a typo must not silently build the default.
    with pytest.raises(AirflowFailException) as failure:
        tasks.plan({**DEFAULTS, "flow_cont": 5, "seed": -1}, known=set(DEFAULTS))
    text = str(failure.value)
    assert "nothing was written to Azkaban" in text
    assert "unknown parameter 'flow_cont'; fix: remove it" in text
    assert "Seed (seed): must be between 0 and" in text


def test_max_map_length_comes_from_airflow_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "_max_map_length", lambda: 5)
    with pytest.raises(AirflowFailException, match="max_map_length 5"):
        tasks.plan(DEFAULTS)  # 10 shards


def test_shards_without_a_result_are_reported_as_failed() -> None:
    shards = tasks.plan({**DEFAULTS, "flow_count": 1_500})
    done = ShardResult(shard_index=0, label=shards[0]["label"]).to_dict()
    params = {**DEFAULTS, "flow_count": 1_500}
    results = tasks.collect_shard_results(params, shards, [done, None])
    assert results[0] == done
    missing = ShardResult.from_dict(results[1])
    assert missing.shard_index == 1
    assert [p.project for p in missing.failed] == [f"stress_{i:05d}" for i in range(10, 15)]
    assert "no result recorded" in (missing.error or "")


def test_report_path(tmp_path: Path) -> None:
    run_id = "manual__2026-11-27T05:10:40.600980+00:00"
    env = {"AIRFLOW_HOME": str(tmp_path)}
    expected = tmp_path / "reports" / "manual__2026-11-27T05_10_40.600980_00_00.json"
    assert tasks.report_path(run_id, env) == expected
    env["AZKABAN_SEEDER_REPORT_DIR"] = str(tmp_path / "elsewhere")
    assert tasks.report_path("r1", env) == tmp_path / "elsewhere" / "r1.json"


def test_build_run_report_writes_the_json_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZKABAN_SEEDER_REPORT_DIR", str(tmp_path))
    shards = tasks.plan({**DEFAULTS, "flow_count": 100})
    results = tasks.collect_shard_results({**DEFAULTS, "flow_count": 100}, shards, [None])
    report = tasks.build_run_report(DEFAULTS | {"flow_count": 100}, results, None, 2.0, "r")
    assert report["ok"] is False
    assert report["failures"][0]["project"] == "stress_00000"
    assert json.loads((tmp_path / "r.json").read_text()) == report
    assert report["report_path"] == str(tmp_path / "r.json")


def _pool_in_daemonic_process(use_guard: bool) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    def compute() -> int:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            return pool.submit(pow, 2, 5).result(timeout=60)

    try:
        if use_guard:
            with tasks.allow_child_processes():
                result = compute()
            assert multiprocessing.current_process().daemon  # restored afterwards
        else:
            result = compute()
    except AssertionError:
        raise SystemExit(3) from None
    raise SystemExit(0 if result == 32 else 4)


@pytest.mark.parametrize(("use_guard", "exit_code"), [(False, 3), (True, 0)])
def test_pool_inside_a_daemonic_task_process(use_guard: bool, exit_code: int) -> None:
    # Regression: under `airflow celery worker` the task process is a daemonic pool child and
    # run_shard failed with "daemonic processes are not allowed to have children".
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(
        target=_pool_in_daemonic_process, args=(use_guard,), daemon=True
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == exit_code


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        ("http://127.0.0.1:8081", "azkaban://127.0.0.1:8081/stress"),
        ("https://Azkaban.Example.com", "azkaban://azkaban.example.com:443/stress"),
        ("http://azkaban.example.com/", "azkaban://azkaban.example.com:80/stress"),
    ],
)
def test_asset_uri_is_one_name_per_azkaban_and_prefix(url: str, uri: str) -> None:
    assert tasks.asset_uri(url, "stress") == uri

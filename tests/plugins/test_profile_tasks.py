"""The profile DAG's task and the rebuilds' likeness task, against sandboxes (no fakes above
the HTTP boundary): params -> crawl -> files beside the report, failures -> Airflow's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from azkaban_airflow import profile_tasks, tasks
from azkaban_airflow.dag_factory import build_rebuild_dag, on_demand
from azkaban_airflow.settings import load_settings
from azkaban_seeder.azkaban import ConnectionSettings
from azkaban_seeder.profile import load_profile

USER, PASSWORD = "builder", "b-Pw-4711"  # not a common word: it is masked in messages
BUILD: dict[str, Any] = {
    "flow_count": 40,
    "flows_per_project": 10,
    "projects_per_shard": 10,
    "flow_format": "1.0",
    "shape": "mix",
    "seed": 3,
    "command": "echo {job}",
    "schedule": "00:00-06:00",
    "profile": "",
    "processes": 1,
    "mode": "converge",
}
CRAWL: dict[str, Any] = {"rate": 2000.0}


@pytest.fixture
def azkaban(sandbox_factory: Callable[..., Any]) -> ConnectionSettings:
    """A fresh sandbox with one user; its Connection settings."""
    handle = sandbox_factory(users={USER: PASSWORD})
    return ConnectionSettings(url=handle.url, user=USER, password=PASSWORD, timeout=15.0)


@pytest.fixture
def report_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "reports"
    monkeypatch.setenv("AZKABAN_SEEDER_REPORT_DIR", str(path))
    monkeypatch.setenv("AZKABAN_SEEDER_LIKENESS_RATE", "2000")
    return path


def _build(settings: ConnectionSettings, **change: Any) -> dict[str, Any]:
    params = {**BUILD, **change}
    for shard in tasks.plan(params):
        assert tasks.upload_shard(params, shard, settings).ok
    return params


def _profile(settings: ConnectionSettings, report_dir: Path, run_id: str, **values: Any) -> Any:
    typed = profile_tasks.check_profile_params({**CRAWL, **values})
    return profile_tasks.profile_production(typed, settings, run_id, report_dir)


# --------------------------------------------------------------------------- profile task


def test_profile_task_writes_the_profile_under_the_report_dir(
    azkaban: ConnectionSettings, report_dir: Path
) -> None:
    _build(azkaban, prefix="prod")
    summary = _profile(azkaban, report_dir, "manual__2026-01-31T12:00:00+00:00")
    path = report_dir / "profiles" / "manual__2026-01-31T12_00_00_00_00.json"
    assert summary["path"] == str(path)
    profile = load_profile(path)
    assert (profile.counts.flows, profile.counts.scheduled_flows) == (40, 40)
    assert summary["flows"] == 40 and summary["projects"] == 4 and summary["requests"] > 40
    assert "prod_0000" not in path.read_text()  # distributions only, never a name
    assert len(json.dumps(summary)) < 500  # the XCom: counts, never the profile


def test_profile_task_writes_the_out_param_and_refuses_a_directory(
    azkaban: ConnectionSettings, report_dir: Path, tmp_path: Path
) -> None:
    _build(azkaban, prefix="prod", flow_count=10)
    out = tmp_path / "shared" / "nested" / "prod.json"
    assert _profile(azkaban, report_dir, "r1", out=str(out))["path"] == str(out)
    assert load_profile(out).counts.flows == 10
    with pytest.raises(AirflowFailException, match=r"Profile file to write \(out\): cannot"):
        _profile(azkaban, report_dir, "r2", out=str(tmp_path))


def test_an_incomplete_crawl_fails_in_the_forms_words_and_writes_nothing(
    azkaban: ConnectionSettings, report_dir: Path
) -> None:
    _build(azkaban, prefix="prod")
    with pytest.raises(AirflowFailException) as failed:
        _profile(azkaban, report_dir, "r1", rate=5, budget_seconds=0.5)
    text = str(failed.value)
    assert "time budget of 0.5 s ran out" in text and "no profile written" in text
    assert "raise Time budget (s) (budget_seconds)" in text and "--" not in text
    assert list((report_dir / "profiles").iterdir()) == []


@pytest.mark.parametrize(
    ("values", "text"),
    [
        ({"rate": 0}, "Request rate (per s) (rate): must be > 0 and <= 10000 (got 0); fix:"),
        ({"max_in_flight": 9}, "Requests in flight (max_in_flight): must be between 1 and 8"),
        ({"out": "prod.json"}, "Profile file to write (out): is not an absolute path"),
        ({"history_day": 3}, "unknown parameter 'history_day'; fix: remove it"),
    ],
)
def test_profile_params_are_refused_before_any_request(values: dict[str, Any], text: str) -> None:
    with pytest.raises(AirflowFailException, match="nothing was read from Azkaban") as refused:
        profile_tasks.check_profile_params(values)
    assert text in str(refused.value)


# --------------------------------------------------------------------------- likeness task


def test_likeness_of_a_rebuild_with_its_own_profile_passes(
    azkaban: ConnectionSettings, report_dir: Path, tmp_path: Path
) -> None:
    built = _build(azkaban, prefix="twin")
    out = tmp_path / "twin.json"
    _profile(azkaban, report_dir, "p1", out=str(out))
    params = {**built, "shape": "profile", "profile": str(out), "schedule": "off"}
    summary = profile_tasks.likeness(params, azkaban, "manual__r1")
    assert summary["ok"] is True and summary["failed"] == []
    assert summary["metrics"]["jobs_per_flow"]["value"] == 0.0
    assert summary["target_flows"] == summary["source_flows"] == 40
    names = {p.name for p in report_dir.iterdir()}
    assert {"manual__r1.likeness.json", "manual__r1.likeness.txt"} <= names
    assert "manual__r1.likeness.png" in names  # matplotlib is a dev dependency
    written = json.loads((report_dir / "manual__r1.likeness.json").read_text())
    assert written["passed"] is True
    assert len(json.dumps(summary)) < 4_000  # values per distribution, never a profile
    assert profile_tasks.likeness_failure(params, summary) is None


def test_likeness_crawls_only_the_planned_projects(
    azkaban: ConnectionSettings, report_dir: Path, tmp_path: Path
) -> None:
    built = _build(azkaban, prefix="twin")
    out = tmp_path / "twin.json"
    _profile(azkaban, report_dir, "p1", out=str(out))
    _build(azkaban, prefix="noise", shape="chain:9", schedule="off")  # another environment
    params = {**built, "shape": "profile", "profile": str(out), "schedule": "off"}
    summary = profile_tasks.likeness(params, azkaban, "r2")
    assert summary["ok"] is True and summary["target_flows"] == 40


def test_a_different_environment_is_not_alike_and_says_which(
    azkaban: ConnectionSettings, report_dir: Path, tmp_path: Path
) -> None:
    _build(azkaban, prefix="prod")
    out = tmp_path / "prod.json"
    _profile(azkaban, report_dir, "p1", out=str(out))
    other = _build(azkaban, prefix="other", shape="chain:8", schedule="off")
    params = {**other, "shape": "profile", "profile": str(out), "schedule": "off"}
    summary = profile_tasks.likeness(params, azkaban, "r3")
    assert summary["ok"] is False and "depth" in summary["failed"]
    problem = profile_tasks.likeness_failure(params, summary)
    assert problem is not None and "not alike its profile" in problem
    assert "depth ks 1.0000 > 0.0500" in problem  # chain:8 vs mostly short flows
    assert str(report_dir / "r3.likeness.json") in problem


def test_skip_reasons() -> None:
    single = {**BUILD, "shape": "single", "schedule": "off"}
    assert "not profile: no likeness check" in str(profile_tasks.skip_reason(single, {"ok": True}))
    profiled = {**single, "shape": "profile", "profile": "/p.json"}
    reason = profile_tasks.skip_reason(profiled, {"ok": False, "missing_count": 7})
    assert reason is not None and "7 missing flow(s)" in reason
    assert profile_tasks.skip_reason(profiled, {"ok": True}) is None
    assert profile_tasks.likeness_failure(single, None) is None  # no verdict needed


class _TI:
    def __init__(self, pulls: dict[str, Any]) -> None:
        self.pulls = pulls
        self.pushed: dict[str, Any] = {}

    def xcom_pull(self, task_ids: str, key: str = "return_value", **_: Any) -> Any:
        return self.pulls.get(task_ids)

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_the_likeness_task_pushes_its_verdict_then_fails_when_not_alike(
    azkaban: ConnectionSettings, report_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build(azkaban, prefix="prod")
    out = tmp_path / "prod.json"
    _profile(azkaban, report_dir, "p1", out=str(out))
    other = _build(azkaban, prefix="other", shape="single", schedule="off")
    host, port = azkaban.url.rsplit(":", 1)
    monkeypatch.setenv(
        "AIRFLOW_CONN_AZKABAN_DEFAULT",
        json.dumps(
            {
                "conn_type": "azkaban",
                "host": host.removeprefix("http://"),
                "port": int(port),
                "login": USER,
                "password": PASSWORD,
            }
        ),
    )
    settings = load_settings()
    task = build_rebuild_dag(on_demand(settings), settings).get_task("likeness")
    params = {**other, "shape": "profile", "profile": str(out), "schedule": "off"}
    ti = _TI({"verify": {"ok": True}})
    context = {"ti": ti, "params": params, "dag_run": SimpleNamespace(run_id="manual__t")}
    with pytest.raises(AirflowFailException, match="not alike its profile"):
        task.execute(context)
    assert ti.pushed["likeness"]["ok"] is False
    assert (report_dir / "manual__t.likeness.json").is_file()
    # Not a profile rebuild: skipped before the Connection is read.
    ti = _TI({"verify": {"ok": True}})
    context["params"], context["ti"] = {**other}, ti
    with pytest.raises(AirflowSkipException, match="not profile"):
        task.execute(context)
    assert ti.pushed == {}


def test_plan_refuses_a_profile_file_the_workers_cannot_read(tmp_path: Path) -> None:
    params = {**BUILD, "shape": "profile", "profile": str(tmp_path / "missing.json")}
    with pytest.raises(AirflowFailException) as refused:
        tasks.plan({**params, "schedule": "off"})
    text = str(refused.value)
    assert "nothing was written to Azkaban" in text and "Profile file (profile):" in text

"""The crawler against the production stand-in (standin.py) and against odd servers.

What it must show: profiling sends only whitelisted calls (counted by the sandbox), never
more than two at once (the sandbox's maximum), works with a READ-only account, writes a file
holding no project, flow or job name and no command; a crawl cut by its time budget writes
nothing and exits 1; garbage replies give a clear error.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from standin import ADMIN, ADMIN_PASSWORD, READER, READER_PASSWORD, OddServer, Standin

from azkaban_seeder.azkaban.readonly import WHITELIST
from azkaban_seeder.azkaban.replies import GraphNodeInfo, JobRunInfo
from azkaban_seeder.cli import main
from azkaban_seeder.crawl import CrawlIncomplete, CrawlOptions, crawl, crawl_outcome
from azkaban_seeder.crawl.convert import format_evidence, graph_nodes, job_run, sample_positions
from azkaban_seeder.profile import NodeObservation, Observations

FAST = {"rate": 2000.0}
DAY_MS = 86_400_000
WHITELISTED = {
    f"{c.method} {c.path} {'action' if c.method == 'POST' else 'ajax'}={name}"
    for name, c in WHITELIST.items()
}


def depth(nodes: tuple[NodeObservation, ...]) -> int:
    level = [0] * len(nodes)  # parents may come later in id order: iterate to a fixed point
    changed = True
    while changed:
        changed = False
        for i, node in enumerate(nodes):
            want = max((level[p] + 1 for p in node.parents), default=0)
            if want != level[i]:
                level[i], changed = want, True
    return max(level) + 1


def profile_argv(url: str, out: Path, *extra: str) -> list[str]:
    return ["profile", "--url", url, "--user", READER, "--out", str(out), *extra]


@pytest.fixture
def reader_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZKABAN_PASSWORD", READER_PASSWORD)


# ------------------------------------------------------------------------ the acceptance proof


def test_profiling_the_standin_is_read_only_gentle_and_leaks_no_names(
    standin: Standin, tmp_path: Path, reader_password: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prod.profile.json"
    standin.reset_stats()
    assert main(profile_argv(standin.url, out, "--rate", "2000")) == 0
    stats = standin.stats()
    # only whitelisted calls reached the server, one login, never more than 2 at once
    assert set(stats["calls"]) <= WHITELISTED, set(stats["calls"]) - WHITELISTED
    assert stats["calls"]["POST / action=login"] == 1
    assert 1 <= stats["in_flight_max"] <= 2
    truth = standin.truth
    assert stats["calls"]["GET /manager ajax=fetchflowgraph"] == truth.flows
    # the file: counts as built, no name and no command anywhere in it
    text = out.read_text()
    doc = json.loads(text)
    assert doc["counts"]["flows"] == truth.flows
    assert doc["counts"]["projects"] == truth.projects
    assert doc["counts"]["scheduled_flows"] == truth.scheduled
    leaked = sorted(s for s in truth.names | truth.commands if s in text)
    assert leaked == []
    assert len(truth.names) > truth.flows and len(truth.commands) > truth.flows
    summary = capsys.readouterr().out
    assert f"{truth.flows} flows" in summary and "at most" in summary


def test_the_reader_account_is_really_read_only(standin: Standin) -> None:
    """READ only: it may not execute, schedule or delete (creating a project needs no
    permission on a default Azkaban, so that is no test of the account)."""
    http = requests.Session()
    session = http.post(
        standin.url,
        data={"action": "login", "username": READER, "password": READER_PASSWORD},
        timeout=10,
    ).json()["session.id"]
    project, flow = standin.truth.some_flow
    calls = {
        "/executor": {"ajax": "executeFlow", "project": project, "flow": flow},
        "/schedule": {
            "ajax": "scheduleCronFlow",
            "projectName": project,
            "flow": flow,
            "cronExpression": "0 0 * * * ?",
        },
    }
    for path, data in calls.items():
        reply = http.post(
            standin.url + path,
            data={**data, "session.id": session},
            headers={"X-Requested-With": "XMLHttpRequest"},
            timeout=10,
        ).json()
        assert "error" in reply or reply.get("status") == "error", reply
    delete = http.get(
        f"{standin.url}/manager",
        params={"delete": "true", "project": project, "session.id": session},
        allow_redirects=False,
        timeout=10,
    )
    assert "azkaban.failure.message" in delete.headers.get("Set-Cookie", "")


def test_the_crawl_sees_what_the_standin_built(standin: Standin) -> None:
    obs = crawl(standin.settings(), CrawlOptions(**FAST))
    truth = standin.truth
    assert obs.complete and obs.projects == truth.projects and len(obs.flows) == truth.flows
    assert sorted(len(f.nodes) for f in obs.flows) == sorted(truth.jobs)
    assert sorted(depth(f.nodes) for f in obs.flows) == sorted(truth.depths)
    assert sum(1 for f in obs.flows if f.cron) == truth.scheduled
    minute_zero = sum(1 for f in obs.flows if f.cron and f.cron.split()[1] in ("0", "0/15"))
    assert minute_zero == truth.minute_zero
    embedded = sum(1 for f in obs.flows for n in f.nodes if n.embedded is not None)
    assert embedded >= 1
    proven = {f.project for f in obs.flows if any(n.embedded for n in f.nodes)}
    assert all(f.flow_format == "2.0" for f in obs.flows if f.project in proven)
    _check_history(obs, truth.failed_runs / truth.runs)


def _check_history(obs: Observations, failure_share: float) -> None:
    cutoff = obs.crawl_started_ms - obs.history_days * DAY_MS
    runs = [x for f in obs.flows for x in f.executions]
    assert runs and all(x.submit_ms >= cutoff for x in runs)
    assert max(len(f.executions) for f in obs.flows) <= obs.max_executions_per_flow == 10
    statuses = Counter(x.status for x in runs)
    assert set(statuses) <= {"SUCCEEDED", "FAILED"}
    assert 0 < statuses["FAILED"] / len(runs) < 3 * failure_share + 0.02
    jobs = [j for x in runs for j in x.jobs]
    assert jobs and all(j.seconds > 0 for j in jobs if j.status == "SUCCEEDED")
    assert any(j.status == "CANCELLED" and j.seconds == -1 for j in jobs)


def test_history_is_sampled_bounded_and_seeded(standin: Standin) -> None:
    options = CrawlOptions(max_history_flows=25, max_executions=3, seed=5, **FAST)
    standin.reset_stats()
    first = crawl(standin.settings(), options)
    calls = standin.stats()["calls"]
    assert calls["GET /manager ajax=fetchFlowExecutions"] == 25
    assert calls["GET /executor ajax=fetchexecflow"] <= 75
    assert sum(1 for f in first.flows if f.executions) <= 25
    again = crawl(standin.settings(), options)
    assert [f.executions for f in again.flows] == [f.executions for f in first.flows]
    other = crawl(
        standin.settings(), CrawlOptions(max_history_flows=25, max_executions=3, seed=6, **FAST)
    )
    assert [bool(f.executions) for f in other.flows] != [bool(f.executions) for f in first.flows]


def test_the_history_window_stops_paging_at_older_executions(standin: Standin) -> None:
    short = crawl(standin.settings(), CrawlOptions(history_days=2, **FAST))
    cutoff = short.crawl_started_ms - 2 * DAY_MS
    runs = [x for f in short.flows for x in f.executions]
    assert runs and all(x.submit_ms >= cutoff for x in runs)
    assert short.history_days == 2


def test_progress_lines_name_phase_rate_and_eta(
    standin: Standin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="azkaban_seeder.crawl")
    crawl(standin.settings(), CrawlOptions(max_history_flows=5, progress_seconds=0.01, **FAST))
    lines = [r.getMessage() for r in caplog.records if r.name == "azkaban_seeder.crawl"]
    assert any("flow graphs" in line and "req/s" in line and "ETA" in line for line in lines)
    assert any(line.startswith("crawl complete") for line in lines)


# ------------------------------------------------------------------------ stopping early


def test_a_crawl_cut_by_the_budget_writes_nothing_and_exits_1(
    standin: Standin, tmp_path: Path, reader_password: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prod.profile.json"
    code = main(profile_argv(standin.url, out, "--rate", "100", "--budget-seconds", "1"))
    assert code == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []
    err = capsys.readouterr().err
    assert "time budget of 1 s ran out" in err and "--budget-seconds" in err
    assert "nothing written" in err


def test_an_incomplete_outcome_refuses_to_be_used(standin: Standin) -> None:
    outcome = crawl_outcome(standin.settings(), CrawlOptions(rate=50, budget_seconds=0.5))
    assert not outcome.complete and outcome.observations.flows == []
    with pytest.raises(CrawlIncomplete, match="--max-executions"):
        outcome.check()


def test_a_wrong_password_is_named(standin: Standin) -> None:
    outcome = crawl_outcome(
        standin.settings(READER, "wrong-Pa55-for-this-test"), CrawlOptions(**FAST)
    )
    assert not outcome.complete
    assert "Incorrect Login" in (outcome.missing or "") and "--user" in (outcome.fix or "")


def _script(odd: OddServer, replies_by_ajax: dict[str, Any]) -> None:
    def reply(path: str, query: str) -> tuple[int, str, dict[str, str]]:
        ajax = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("ajax", "")
        body = replies_by_ajax.get(ajax, {})
        text = body if isinstance(body, str) else json.dumps(body)
        return 200, text, {"Content-Type": "application/json"}

    odd.reply = reply


GOOD = {
    "fetchallprojects": {"projects": [{"projectId": 1, "projectName": "a"}]},
    "fetchprojectflows": {"flows": [{"flowId": "f"}]},
    "fetchflowgraph": {"nodes": [{"id": "j", "type": "command"}]},
    "fetchSchedules": {},
    "fetchFlowExecutions": {"total": 0, "from": 0, "length": 10, "executions": []},
}


@pytest.mark.parametrize(
    ("ajax", "body", "named"),
    [
        (
            "fetchallprojects",
            {"projects": "lots"},
            "unexpected fetch all projects reply: projects is not a list",
        ),
        ("fetchallprojects", "Welcome to nginx!", "expected JSON, got a non-JSON body"),
        ("fetchprojectflows", {"flows": [{"id": "f"}]}, r"flows\[0\].flowId"),
        (
            "fetchflowgraph",
            {"nodes": [{"id": "j", "type": "command", "in": ["ghost"]}]},
            "unknown upstream",
        ),
        ("fetchSchedules", {"items": [{"cron": 5}]}, r"items\[0\].projectname"),
        ("fetchFlowExecutions", {"executions": []}, "total is missing"),
    ],
)
def test_garbage_replies_stop_the_crawl_with_a_clear_error(
    odd_server: OddServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ajax: str,
    body: Any,
    named: str,
) -> None:
    _script(odd_server, {**GOOD, ajax: body})
    monkeypatch.setenv("AZKABAN_PASSWORD", "pw")
    out = tmp_path / "p.json"
    assert (
        main(
            ["profile", "--url", odd_server.url, "--user", "qa", "--out", str(out), "--rate", "500"]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "crawl incomplete" in err and named.replace("\\", "") in err.replace("\\", "")
    assert "--url is the Azkaban web server" in err
    assert not out.exists()


def test_a_good_odd_server_gives_a_complete_crawl(odd_server: OddServer) -> None:
    _script(odd_server, GOOD)
    obs = crawl(odd_server.settings(), CrawlOptions(rate=500))
    assert obs.complete and obs.projects == 1
    assert obs.flows[0].nodes == (NodeObservation("command"),)


def test_projects_deleted_during_the_crawl_are_skipped(odd_server: OddServer) -> None:
    projects = [{"projectId": 1, "projectName": "a"}, {"projectId": 2, "projectName": "gone"}]

    def reply(path: str, query: str) -> tuple[int, str, dict[str, str]]:
        if "fetchprojectflows" in query and "project=gone" in query:
            return 200, json.dumps({"project": "gone", "error": "Project gone doesn't exist."}), {}
        return (
            200,
            json.dumps(
                {**GOOD, "fetchallprojects": {"projects": projects}}[
                    next(k for k in GOOD if f"ajax={k}" in query)
                ]
            ),
            {},
        )

    odd_server.reply = reply
    obs = crawl(odd_server.settings(), CrawlOptions(rate=500))
    assert obs.complete and obs.projects == 1 and len(obs.flows) == 1


def test_permission_errors_name_the_fix(odd_server: OddServer) -> None:
    _script(
        odd_server,
        {
            **GOOD,
            "fetchprojectflows": {
                "project": "a",
                "projectId": 1,
                "error": "Permission denied. Need READ access.",
            },
        },
    )
    outcome = crawl_outcome(odd_server.settings(), CrawlOptions(rate=500))
    assert not outcome.complete and "READ" in (outcome.fix or "")


def test_the_admin_account_sees_the_same(standin: Standin) -> None:
    reader = crawl(standin.settings(), CrawlOptions(max_history_flows=0, **FAST))
    admin = crawl(
        standin.settings(ADMIN, ADMIN_PASSWORD), CrawlOptions(max_history_flows=0, **FAST)
    )
    assert [f.nodes for f in reader.flows] == [f.nodes for f in admin.flows]


# ------------------------------------------------------------------------ conversions


def test_graph_nodes_are_positions_in_id_order_with_embedded_flows_nested() -> None:
    infos = (
        GraphNodeInfo("b_load", "command", ("a_extract", "c_sub")),
        GraphNodeInfo("a_extract", "spark"),
        GraphNodeInfo("c_sub", "flow", ("a_extract",), "main:c_sub", (GraphNodeInfo("x", "noop"),)),
    )
    nodes = graph_nodes(infos)
    assert nodes == (
        NodeObservation("spark"),
        NodeObservation("command", (0, 2)),
        NodeObservation("flow", (0,), (NodeObservation("noop"),)),
    )


def test_format_evidence() -> None:
    job = GraphNodeInfo("j", "command")
    assert format_evidence([job]) is None
    assert format_evidence([job, GraphNodeInfo("e", "flow", (), "other_flow", ())]) == "1.0"
    nested = GraphNodeInfo("e", "flow", (), "f:e", (GraphNodeInfo("i", "flow", (), "f:e:i", ()),))
    assert format_evidence([nested]) == "2.0"


def test_job_run_seconds_and_sampling() -> None:
    assert job_run(JobRunInfo("a", "command", "SUCCEEDED", 1000, 3500)).seconds == 2.5
    assert job_run(JobRunInfo("a", "command", "CANCELLED", -1, -1)).seconds == -1.0
    assert sample_positions(10, 20, 1) == list(range(10))
    picked = sample_positions(1000, 7, 1)
    assert (
        picked == sorted(picked)
        and len(set(picked)) == 7
        and picked == sample_positions(1000, 7, 1)
    )


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"history_days": 0}, "history_days"),
        ({"max_executions": 0}, "max_executions"),
        ({"max_history_flows": -1}, "max_history_flows"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"rate": 0}, "rate"),
        ({"budget_seconds": 0}, "budget_seconds"),
    ],
)
def test_crawl_options_are_checked(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        CrawlOptions(**kwargs)

"""The report page app: found by run id, Airflow's auth on every route, the page's numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient

from azkaban_airflow import report_files
from azkaban_airflow.links import REPORT_APP_PREFIX
from azkaban_airflow.report_app import create_app, page_url
from azkaban_seeder.report import build_report, write_report
from azkaban_seeder.runner import ProjectResult, ShardResult
from azkaban_seeder.spec import EnvSpec
from azkaban_seeder.verify import VerifyReport

RUN = "manual__2026-12-01T10:00:00.123456+00:00"
DAG = "azkaban_env_rebuild"
TOKEN = {"Authorization": "Bearer good"}


class FakeGate:
    """Airflow's answers, scripted: one good token, one DAG nobody may read."""

    def __init__(self, runs: set[tuple[str, str]]) -> None:
        self.runs = runs

    async def user(self, request: Request, credentials: Any) -> str:
        if credentials is None or credentials.credentials != "good":
            raise HTTPException(401, "Not authenticated")
        return "alice"

    def authorize_run(self, request: Request, user: Any, dag_id: str) -> None:
        if dag_id == "secret":
            raise HTTPException(403, "Forbidden")

    def run_exists(self, dag_id: str, run_id: str) -> bool:
        return (dag_id, run_id) in self.runs

    def readable_runs(self, user: Any, run_ids: list[str]) -> dict[str, str]:
        return {r: d for d, r in self.runs if r in run_ids and d != "secret"}

    def login_url(self) -> str:
        return "/auth/login"


def _report(run_id: str = RUN) -> dict[str, Any]:
    spec = EnvSpec(flow_count=30, flows_per_project=10, projects_per_shard=2, prefix="web")
    shards = [
        ShardResult(
            0,
            "web_00000..web_00001",
            [
                ProjectResult("web_00000", 10, 2000, 3, {"http_503": 2}, 1.0),
                ProjectResult("web_00001", 10, 2100, 4, {}, 1.2),
            ],
            seconds=2.5,
        ),
        ShardResult(1, "web_00002", [ProjectResult("web_00002", error="Rejected: <quota>")], 1.0),
    ]
    verify = VerifyReport(expected_projects=3, expected_flows=30, present=20)
    verify.missing_projects.append("web_00002")
    verify.missing_project_flows = 10
    return build_report(spec, shards, verify, 4.0, run_id=run_id).to_dict()


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    from azkaban_seeder.report import RunReport

    write_report(RunReport.from_dict(_report()), report_files.report_file(tmp_path, RUN))
    return tmp_path


@pytest.fixture
def client(reports: Path) -> TestClient:
    gate = FakeGate({(DAG, RUN), (DAG, "manual__no_report"), ("secret", "s1")})
    return TestClient(create_app(gate, reports))


def _numbers(html: str, attribute: str) -> dict[str, int]:
    found = re.findall(rf'data-{attribute}="([a-z_0-9]+)">([0-9,]+)<', html)
    return {key: int(value.replace(",", "")) for key, value in found}


def test_the_page_shows_the_totals_of_the_report_file(client: TestClient, reports: Path) -> None:
    reply = client.get(page_url(DAG, RUN).removeprefix(REPORT_APP_PREFIX), headers=TOKEN)
    assert reply.status_code == 200, reply.text
    stored = json.loads(report_files.report_file(reports, RUN).read_text())
    assert _numbers(reply.text, "total") == stored["totals"]
    assert _numbers(reply.text, "retry") == stored["retries_by_reason"] == {"http_503": 2}
    html = reply.text
    assert 'data-shard="0"' in html and 'data-shard="1"' in html
    assert "Rejected: &lt;quota&gt;" in html  # text is escaped
    assert "MISMATCH" in html and "FAILED" in html
    assert 'href="/azkaban-seeder/reports/azkaban_env_rebuild/manual__2026-12-01T10%3A00' in html


def test_the_json_downloads_from_the_page(client: TestClient, reports: Path) -> None:
    path = page_url(DAG, RUN).removeprefix(REPORT_APP_PREFIX) + "/report.json"
    reply = client.get(path, headers=TOKEN)
    assert reply.status_code == 200
    assert "attachment" in reply.headers["content-disposition"]
    assert reply.json() == json.loads(report_files.report_file(reports, RUN).read_text())


def test_unauthenticated_requests_are_refused(client: TestClient) -> None:
    path = page_url(DAG, RUN).removeprefix(REPORT_APP_PREFIX)
    for url in (path, path + "/report.json", "/"):
        reply = client.get(url)
        assert reply.status_code == 401, url
        assert reply.json() == {"detail": "Not authenticated"}
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 401
    assert 'href="/auth/login"' in page.text


def test_a_dag_the_user_may_not_read_is_forbidden(client: TestClient) -> None:
    assert client.get("/reports/secret/s1", headers=TOKEN).status_code == 403


def test_unknown_runs_and_missing_reports_are_404_with_a_message(client: TestClient) -> None:
    reply = client.get("/reports/azkaban_env_rebuild/manual__nope", headers=TOKEN)
    assert reply.status_code == 404
    assert "No run 'manual__nope' of DAG 'azkaban_env_rebuild'" in reply.json()["detail"]
    reply = client.get("/reports/azkaban_env_rebuild/manual__no_report", headers=TOKEN)
    assert reply.status_code == 404
    assert "has no report yet" in reply.json()["detail"]


def test_likeness_files_beside_the_report_are_shown(client: TestClient, reports: Path) -> None:
    likeness = {
        "passed": True,
        "comparisons": [
            {
                "distribution": "depth",
                "metric": "ks",
                "value": 0.01,
                "threshold": 0.1,
                "result": "pass",
            },
        ],
    }
    report_files.likeness_json(reports, RUN).write_text(json.dumps(likeness))
    report_files.likeness_png(reports, RUN).write_bytes(b"\x89PNG\r\n\x1a\n")
    path = page_url(DAG, RUN).removeprefix(REPORT_APP_PREFIX)
    html = client.get(path, headers=TOKEN).text
    assert "<h2>Likeness</h2>" in html and "PASSED" in html and "depth" in html
    assert f'src="{page_url(DAG, RUN)}/likeness.png"' in html
    image = client.get(path + "/likeness.png", headers=TOKEN)
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")


def test_without_likeness_files_there_is_no_likeness_section(client: TestClient) -> None:
    html = client.get(page_url(DAG, RUN).removeprefix(REPORT_APP_PREFIX), headers=TOKEN).text
    assert "Likeness" not in html


def test_the_index_lists_readable_runs(client: TestClient, reports: Path) -> None:
    other = report_files.report_file(reports, "s1")
    other.write_text(json.dumps(_report("s1")))
    html = client.get("/", headers=TOKEN).text
    assert RUN in html
    assert ">s1<" not in html  # a run of a DAG the user may not read


def test_airflow_refuses_a_request_without_credentials(reports: Path) -> None:
    # The real gate: Airflow's own get_user, no stand-in.
    app = create_app(report_dir=reports)
    reply = TestClient(app).get(page_url(DAG, RUN).removeprefix(REPORT_APP_PREFIX))
    assert reply.status_code == 401
    assert reply.json() == {"detail": "Not authenticated"}

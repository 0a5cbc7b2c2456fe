"""The client against the real sandbox server (fixture `sandbox` from tests/conftest.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fake_azkaban_server import small_zip

from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, RetryPolicy
from azkaban_seeder.azkaban import errors as e
from foreign_projects import create_foreign_project

CRON = "0 0 1 * * ?"
TWO_FLOWS = {
    "flow_000001": "type=command\ncommand=echo hi\ndependencies=flow_000001_j001\n",
    "flow_000001_j001": "type=command\ncommand=echo hi\n",
    "flow_000002": "type=command\ncommand=echo hi\n",
}


def control(sandbox: Any, call: str, body: dict[str, Any] | None = None) -> Any:
    """POST to the sandbox test-control API (/_sandbox/...)."""
    reply = requests.post(f"{sandbox.url}/_sandbox/{call}", json=body or {}, timeout=10)
    reply.raise_for_status()
    return reply.json()


def make(sandbox: Any, attempts: int = 4, **kwargs: Any) -> AzkabanClient:
    settings = ConnectionSettings(sandbox.url, sandbox.user, sandbox.password, timeout=5.0)
    policy = RetryPolicy(attempts=attempts, outage_seconds=1.0).with_waits(0)
    return AzkabanClient(settings, policy, **kwargs)


@pytest.fixture
def client(sandbox: Any) -> Iterator[AzkabanClient]:
    with make(sandbox) as c:
        yield c


@pytest.fixture
def project(client: AzkabanClient) -> str:
    """A project holding two of our flows (flow_000001 depends on flow_000001_j001)."""
    assert client.ensure_project("stress_00000", "client test") is True
    client.upload_project("stress_00000", small_zip(TWO_FLOWS), expected_flows=2)
    return "stress_00000"


def test_one_login_serves_many_calls(sandbox: Any, client: AzkabanClient, project: str) -> None:
    for _ in range(5):
        client.fetch_project_flows(project)
    client.schedule_cron_flow(project, "flow_000002", CRON)
    assert client.stats.snapshot()["logins"] == 1
    assert sandbox.server.stats()["sessions"] == 1


def test_ensure_project_and_ownership(sandbox: Any, client: AzkabanClient) -> None:
    assert client.ensure_project("stress_00001") is True
    assert client.ensure_project("STRESS_00001") is False  # names are case-insensitive
    assert client.is_ours("stress_00001") is True
    create_foreign_project(sandbox.url, "stress_00002")  # same prefix, no marker, empty
    assert client.is_ours("stress_00002") is False
    with pytest.raises(e.ForeignProjectError, match="marker"):
        client.ensure_project("stress_00002")
    with pytest.raises(e.ProjectNotFound):
        client.is_ours("stress_99999")
    with pytest.raises(e.ProjectAlreadyExists):
        client.create_project("stress_00001", "again")
    with pytest.raises(e.InvalidProjectName):
        client.create_project("1-bad name", "x")


def test_fetch_flows_graph_and_projects(client: AzkabanClient, project: str) -> None:
    assert client.fetch_project_flows(project) == ["flow_000001", "flow_000002"]
    graph = client.fetch_flow_graph(project, "flow_000001")
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["flow_000001"]["in"] == ["flow_000001_j001"]
    assert [p.name for p in client.fetch_all_projects()] == [project]
    assert client.get_project_id(project) == client.fetch_all_projects()[0].id
    with pytest.raises(e.FlowNotFound):
        client.fetch_flow_graph(project, "flow_999999")
    with pytest.raises(e.ProjectNotFound):
        client.fetch_project_flows("stress_09999")


def test_reupload_increments_version(client: AzkabanClient, project: str) -> None:
    again = client.upload_project(project, small_zip(TWO_FLOWS), expected_flows=2)
    assert again.version == "2"
    with pytest.raises(e.FlowCountMismatch):
        client.upload_project(project, small_zip(TWO_FLOWS), expected_flows=3)


@pytest.mark.parametrize(
    ("payload", "reported"),
    [
        (
            small_zip({"flow_000001": "type=command\ndependencies=nope\n"}),
            "flow_000001 cannot find dependency nope",
        ),
        (b"not a zip at all", "Error unzipping file."),
    ],
    ids=["missing-dependency", "not-a-zip"],
)
def test_upload_rejected_not_retried(
    sandbox: Any, client: AzkabanClient, payload: bytes, reported: str
) -> None:
    client.ensure_project("stress_00002")
    with pytest.raises(e.UploadRejected) as info:
        client.upload_project("stress_00002", payload)
    assert reported in info.value.report
    assert info.value.status == 500
    assert client.stats.total_retries == 0
    assert sandbox.server.stats()["uploads"]["failed"] == 1


def test_upload_to_missing_project(client: AzkabanClient) -> None:
    with pytest.raises(e.ProjectNotFound):
        client.upload_project("stress_00003", small_zip())


def test_upload_rejection_control_is_permanent(sandbox: Any, client: AzkabanClient) -> None:
    client.ensure_project("stress_00004")
    control(sandbox, "reject-uploads", {"projects": ["stress_00004"], "message": "disk full"})
    with pytest.raises(e.UploadRejected, match="disk full"):
        client.upload_project("stress_00004", small_zip())
    assert client.stats.total_retries == 0


def test_schedule_upsert_keeps_id_then_remove(client: AzkabanClient, project: str) -> None:
    first = client.schedule_cron_flow(project, "flow_000001", CRON)
    second = client.schedule_cron_flow(project, "flow_000001", "0 30 2 * * ?")
    assert first == second
    project_id = client.get_project_id(project)
    info = client.fetch_schedule(project_id, "flow_000001")
    assert info is not None and (info.schedule_id, info.cron) == (first, "0 30 2 * * ?")
    assert [(s.schedule_id, s.flow, s.project) for s in client.fetch_schedules()] == [
        (first, "flow_000001", project)
    ]
    client.remove_schedule(first)
    assert client.fetch_schedule(project_id, "flow_000001") is None
    with pytest.raises(e.ScheduleNotFound):
        client.remove_schedule(first)


@pytest.mark.parametrize("cron", ["0 0 * * *", "not a cron"])
def test_invalid_cron(client: AzkabanClient, project: str, cron: str) -> None:
    with pytest.raises(e.InvalidCron):
        client.schedule_cron_flow(project, "flow_000001", cron)


def test_execute_fetch_cancel(client: AzkabanClient, project: str) -> None:
    exec_id = client.execute_flow(project, "flow_000002")
    assert exec_id > 0
    assert client.fetch_exec_flow(exec_id)["flowId"] == "flow_000002"
    client.cancel_flow(exec_id)
    with pytest.raises(e.FlowNotFound):
        client.execute_flow(project, "flow_999999")
    with pytest.raises(e.ExecutionNotFound):
        client.fetch_exec_flow(999_999)


def test_delete_project(client: AzkabanClient, project: str) -> None:
    client.schedule_cron_flow(project, "flow_000001", CRON)
    client.delete_project(project)
    with pytest.raises(e.ProjectNotFound):
        client.fetch_project_flows(project)
    assert client.fetch_schedules() == []
    with pytest.raises(e.ProjectNotFound):
        client.delete_project(project)


# --- session expiry, each request shape the client uses ------------------------------------


def test_relogin_after_expire_all_for_every_request_shape(sandbox: Any, project: str) -> None:
    client = make(sandbox, fresh_after=3600)  # upload meets the expiry itself (multipart shape)
    steps = [
        ("ajax GET", lambda: client.fetch_project_flows(project)),
        ("form POST", lambda: client.schedule_cron_flow(project, "flow_000001", CRON)),
        ("multipart POST", lambda: client.upload_project(project, small_zip(TWO_FLOWS))),
        ("page GET", lambda: client.delete_project(project)),
    ]
    client.login()
    for number, (label, step) in enumerate(steps, start=1):
        assert control(sandbox, "sessions/expire-all")["expired"] >= 1, label
        step()
        assert client.stats.relogins == number, label
    assert client.stats.snapshot()["retries_by_reason"] == {"session_expired": 4}


def test_session_fault_kind_recovers(sandbox: Any, client: AzkabanClient, project: str) -> None:
    control(sandbox, "faults", {"rate": 1.0, "seed": 1, "kinds": ["session"]})
    with pytest.raises(e.SessionExpired):
        client.fetch_project_flows(project)
    control(sandbox, "faults", {"rate": 0.0})
    assert client.fetch_project_flows(project) == ["flow_000001", "flow_000002"]


# --- injected faults -----------------------------------------------------------------------


def test_retries_absorb_injected_faults(
    sandbox_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = sandbox_factory(users={"qa": "Very-Secret-9"})
    settings = ConnectionSettings(sandbox.url, "qa", "Very-Secret-9", timeout=5.0)
    client = AzkabanClient(settings, RetryPolicy(attempts=12).with_waits(0))
    caplog.set_level(logging.DEBUG)
    client.ensure_project("stress_00005")
    control(
        sandbox,
        "faults",
        {"rate": 0.4, "seed": 7, "kinds": ["http500", "http503", "drop", "session"]},
    )
    for _ in range(3):
        client.upload_project("stress_00005", small_zip(TWO_FLOWS))
        assert client.fetch_project_flows("stress_00005") == ["flow_000001", "flow_000002"]
        client.schedule_cron_flow("stress_00005", "flow_000002", CRON)
    injected = sandbox.server.stats()["faults_total"]
    snapshot = client.stats.snapshot()
    assert injected > 0 and snapshot["retries"] == injected
    assert len(client.fetch_schedules()) == 1
    mine = "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(("azkaban_seeder.azkaban", "urllib3"))
    )
    assert mine.count("retrying in") == client.stats.total_retries  # one line per retry
    assert "Very-Secret-9" not in mine


def test_retries_are_bounded(sandbox: Any, client: AzkabanClient, project: str) -> None:
    control(sandbox, "faults", {"rate": 1.0, "seed": 1, "kinds": ["http500"]})
    with pytest.raises(e.AzkabanServerError) as info:
        client.fetch_project_flows(project)
    assert info.value.status == 500
    assert client.stats.snapshot()["retries_by_reason"] == {"http_500": 3}


def test_execute_not_retried_on_5xx(sandbox: Any, client: AzkabanClient, project: str) -> None:
    control(sandbox, "faults", {"rate": 1.0, "seed": 1, "kinds": ["http500"]})
    before = sandbox.server.stats()["requests"].get("POST /executor executeFlow", 0)
    with pytest.raises(e.AzkabanServerError):
        client.execute_flow(project, "flow_000002")
    after = sandbox.server.stats()["requests"].get("POST /executor executeFlow", 0)
    assert after - before == 1

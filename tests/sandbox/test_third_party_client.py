"""The PyPI `azkaban` client (0.9.14), unchanged, against the sandbox.

Its calls exercise reply shapes a real server gives: `is_valid()` POSTs /manager and expects an
empty 200, uploads stream a chunked multipart form, delete follows the 302 and looks for the
success message in the final page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from azkaban.remote import Session
from azkaban.util import AzkabanError
from sandbox_client import SandboxLike
from sandbox_zips import chain_flows, flow1_zip, job

pytestmark = pytest.mark.sandbox_only("checks the sandbox against a third-party client")


@pytest.fixture
def client(sandbox: SandboxLike, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    monkeypatch.setenv("HOME", str(tmp_path))  # the client may write ~/.azkabanrc
    host = sandbox.url.removeprefix("http://")
    return Session(url=f"http://azkaban:azkaban@{host}")


def test_full_lifecycle(client: Session, tmp_path: Path, sandbox: SandboxLike) -> None:
    archive = tmp_path / "lifecycle.zip"
    archive.write_bytes(flow1_zip({"extract": job(), "load": job(deps=("extract",))}))

    client.create_project("thirdparty", "made by the azkaban PyPI client")
    uploaded = client.upload_project("thirdparty", str(archive))
    assert uploaded == {"projectId": "1", "version": "1"}

    flows = client.get_workflows("thirdparty")
    assert [f["flowId"] for f in flows["flows"]] == ["load"]
    info = client.get_workflow_info("thirdparty", "load")
    assert sorted(n["id"] for n in info["nodes"]) == ["extract", "load"]

    scheduled = client.schedule_cron_workflow("thirdparty", "load", "0 0 6 ? * MON-FRI")
    assert scheduled["status"] == "success" and scheduled["scheduleId"] == 1
    schedule = client.get_schedule("thirdparty", "load")
    assert schedule["cronExpression"] == "0 0 6 ? * MON-FRI"

    run = client.run_workflow("thirdparty", "load")
    assert run["execid"] == 1
    assert run["message"] == "Execution queued successfully with exec id 1"
    assert client.get_execution_status(1)["status"] in ("READY", "RUNNING", "SUCCEEDED")
    assert client.get_running_workflows("thirdparty", "load") == {"execIds": [1]}

    client.delete_project("thirdparty")
    assert client.get_projects() == {"projects": []}
    assert sandbox.server.stats()["uploads"]["ok"] == 1


def test_client_sees_server_errors(client: Session, tmp_path: Path) -> None:
    archive = tmp_path / "p.zip"
    archive.write_bytes(chain_flows(1))
    client.create_project("dupe", "d")
    with pytest.raises(AzkabanError, match=r"Project already exists\."):
        client.create_project("dupe", "d")
    # upload errors carry HTTP statuses, which this client raises as HTTPError
    with pytest.raises(requests.HTTPError) as err:
        client.upload_project("missing", str(archive))
    assert err.value.response.status_code == 410
    client.upload_project("dupe", str(archive))
    with pytest.raises(AzkabanError, match="can not be parsed to quartz cron"):
        client.schedule_cron_workflow("dupe", "f0000", "0 23 ? * *")


def test_client_relogs_after_session_expiry(client: Session, sandbox: SandboxLike) -> None:
    client.create_project("relog", "d")
    sandbox.server.controls.expire_sessions()
    # the stale id answers {"error" : "session"}; the client logs in again and retries
    assert [p["projectName"] for p in client.get_projects()["projects"]] == ["relog"]

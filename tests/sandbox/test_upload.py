"""Upload (multipart POST /manager ajax=upload): statuses, texts, versions (reference 4.2, 5, 6)."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
import requests
from conformance import unique
from sandbox_client import Az, SandboxLike
from sandbox_zips import EMBEDDED_FLOW, chain_flows, flow1_zip, flow2_zip, job, zip_bytes


@pytest.fixture
def proj(az: Az) -> str:
    name = unique("up")
    az.create(name)
    return name


def test_success_reply_has_string_values_and_version_increments(az: Az, proj: str) -> None:
    data = chain_flows(2)
    first = az.upload(proj, data)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json"
    project_id = str(az.project_id(proj))
    assert first.json() == {"projectId": project_id, "version": "1"}
    # an identical zip still makes a new version
    assert az.upload(proj, data).json() == {"projectId": project_id, "version": "2"}
    assert az.flows(proj) == ["f0000", "f0001"]


@pytest.mark.parametrize("project", [None, ""])
def test_missing_project_field_is_400(az: Az, project: str | None) -> None:
    reply = az.upload(project, chain_flows(1))
    assert reply.status_code == 400
    assert reply.json() == {"error": "No project name found."}


def test_unknown_and_removed_projects_are_410(az: Az, proj: str) -> None:
    missing = unique("nope")
    reply = az.upload(missing, chain_flows(1))
    assert reply.status_code == 410
    assert reply.json() == {"error": f"Installation Failed. Project '{missing} doesn't exist."}
    az.get("/manager", delete="true", project=proj)
    reply = az.upload(proj, chain_flows(1))
    assert reply.status_code == 410
    assert reply.json() == {"error": f"Installation Failed. Project '{proj} was already removed."}


@pytest.mark.parametrize(
    ("filename", "ext"), [("p.tar.gz", "gz"), ("p.ZIP.txt", "txt"), ("p.", ""), ("noext", "")]
)
def test_file_extension_check(az: Az, proj: str, filename: str, ext: str) -> None:
    reply = az.upload(proj, chain_flows(1), filename=filename)
    assert reply.status_code == 400
    assert reply.json() == {"error": f"File extension '{ext}' unrecognized."}


def test_file_name_without_dot_has_empty_extension(az: Az, proj: str) -> None:
    # Regression: the sandbox used to answer "File extension 'project' unrecognized." (the whole
    # name); the server takes the text after the last dot, which is empty without a dot.
    reply = az.upload(proj, chain_flows(1), filename="project")
    assert reply.status_code == 400
    assert reply.json() == {"error": "File extension '' unrecognized."}


def test_upper_case_zip_extension_is_accepted(az: Az, proj: str) -> None:
    assert az.upload(proj, chain_flows(1), filename="P.ZIP").status_code == 200


@pytest.mark.parametrize("ctype", ["application/octet-stream", "application/x-zip-compressed"])
def test_accepted_content_types(az: Az, proj: str, ctype: str) -> None:
    assert az.upload(proj, chain_flows(1), content_type=ctype).status_code == 200


def test_rejected_content_type(az: Az, proj: str) -> None:
    reply = az.upload(proj, chain_flows(1), content_type="text/plain")
    assert reply.status_code == 400
    assert reply.json() == {"error": "Content type 'text/plain' does not match extension 'zip'"}


def test_not_a_zip_is_install_failure_with_current_version(az: Az, proj: str) -> None:
    az.upload(proj, chain_flows(1))
    reply = az.upload(proj, b"definitely not a zip")
    assert reply.status_code == 500
    assert reply.json() == {
        "error": "Installation Failed.<br>Error unzipping file.",
        "projectId": str(az.project_id(proj)),
        "version": "1",
    }


def test_zip_slip_is_unzip_error(az: Az, proj: str) -> None:
    reply = az.upload(proj, zip_bytes({"../evil.job": job()}))
    assert reply.status_code == 500
    assert reply.json()["error"] == "Installation Failed.<br>Error unzipping file."


def test_flow_errors_report_and_nothing_stored(az: Az, proj: str) -> None:
    az.upload(proj, chain_flows(1))
    reply = az.upload(proj, flow1_zip({"a": job(deps=("zz",))}))
    assert reply.status_code == 500
    assert reply.json() == {
        "error": "Validator Directory Flow reports errors:<br><br>a cannot find dependency zz<br>",
        "projectId": str(az.project_id(proj)),
        "version": "1",
    }
    assert az.flows(proj) == ["f0000"]
    assert az.upload(proj, chain_flows(1)).json()["version"] == "2"


def test_report_truncated_to_4000_chars(az: Az, proj: str) -> None:
    jobs = {f"job_with_a_long_name_{i:04d}": job(deps=(f"missing_{i:04d}",)) for i in range(200)}
    error = az.upload(proj, flow1_zip(jobs)).json()["error"]
    assert len(error) == 4000
    assert error.startswith("Validator Directory Flow reports errors:<br><br>")


@pytest.mark.sandbox_only("makes uploads fail through the test controls")
def test_install_message_truncated_to_512(az: Az, proj: str, sandbox: SandboxLike) -> None:
    sandbox.server.controls.reject_uploads([proj], "x" * 600)
    error = az.upload(proj, chain_flows(1)).json()["error"]
    assert error == "Installation Failed.<br>" + "x" * 512 + "<br>Too many errors to display.<br>"


@pytest.mark.sandbox_only("calls the /_sandbox/ control API")
def test_reject_uploads_control_api_and_clear(az: Az, proj: str, sandbox: SandboxLike) -> None:
    url = sandbox.url + "/_sandbox/reject-uploads"
    requests.post(url, json={"projects": [proj.upper()], "message": "shard down"}, timeout=10)
    reply = az.upload(proj, chain_flows(1))
    assert reply.status_code == 500
    assert reply.json() == {
        "error": "Installation Failed.<br>shard down",
        "projectId": str(az.project_id(proj)),
        "version": "0",
    }
    requests.post(url, json={"projects": []}, timeout=10)
    assert az.upload(proj, chain_flows(1)).status_code == 200


def test_project_yaml_problem_is_install_failure(az: Az, proj: str) -> None:
    reply = az.upload(proj, zip_bytes({"p.project": "foo: bar\n", "a.flow": "nodes: []\n"}))
    assert reply.status_code == 500
    assert reply.json()["error"] == (
        "Installation Failed.<br>azkaban-flow-version is not specified in the project YAML file."
    )


def test_zip_without_flows_is_accepted(az: Az, proj: str) -> None:
    reply = az.upload(proj, zip_bytes({"README.txt": "nothing here"}))
    assert reply.json() == {"projectId": str(az.project_id(proj)), "version": "1"}
    assert az.flows(proj) == []


def test_missing_file_part_is_jetty_500(az: Az, proj: str) -> None:
    reply = az.http.post(
        az.url + "/manager",
        files={
            "ajax": (None, "upload"),
            "project": (None, proj),
            "session.id": (None, az.session_id),
        },
        timeout=10,
    )
    assert reply.status_code == 500
    assert "NullPointerException" in reply.text


def test_multipart_without_ajax_field_is_empty_200(az: Az, proj: str) -> None:
    reply = az.http.post(
        az.url + "/manager",
        data={"project": proj, "session.id": az.session_id},
        files={"file": ("p.zip", chain_flows(1), "application/zip")},
        timeout=10,
    )
    assert reply.status_code == 200
    assert reply.text == ""


def test_ajax_in_query_string_is_not_enough(az: Az, proj: str) -> None:
    reply = az.http.post(
        az.url + "/manager?ajax=upload",
        data={"project": proj, "session.id": az.session_id},
        files={"file": ("p.zip", chain_flows(1), "application/zip")},
        timeout=10,
    )
    assert reply.text == ""


def test_action_upload_redirects(az: Az, proj: str) -> None:
    reply = az.upload(proj, chain_flows(1), ajax=None, action="upload")
    assert reply.status_code == 200 or reply.history  # requests follows the 302
    assert reply.history[0].status_code == 302
    assert reply.history[0].headers["Location"] == f"/manager?project={proj}"


def test_reupload_replaces_flow_set(az: Az, proj: str) -> None:
    az.upload(proj, chain_flows(3))
    az.upload(proj, chain_flows(2, prefix="h"))
    assert az.flows(proj) == ["h0000", "h0001"]


def test_flow20_embedded_flows_hidden(az: Az, proj: str) -> None:
    reply = az.upload(proj, flow2_zip({"main": EMBEDDED_FLOW}))
    assert reply.status_code == 200
    assert az.flows(proj) == ["main"]


@pytest.mark.sandbox_only("inspects the sandbox's spool dir")
def test_large_upload_is_spooled_and_stored(az: Az, proj: str, sandbox: SandboxLike) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.job", job())
        zf.writestr("blob.bin", os.urandom(21 * 1024 * 1024))
    data = buf.getvalue()
    assert az.upload(proj, data).json() == {"projectId": str(az.project_id(proj)), "version": "1"}
    assert az.get("/manager", project=proj, download="true").content == data
    assert list((sandbox.server.data_dir / "tmp").iterdir()) == []  # spool file moved/removed


def test_chunked_transfer_encoding_upload(az: Az, proj: str) -> None:
    boundary = "sandboxboundary"
    parts = []
    for name, value in (("ajax", "upload"), ("project", proj), ("session.id", az.session_id)):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="p.zip"\r\nContent-Type: application/zip\r\n\r\n'.encode()
    )
    parts.append(chain_flows(4))
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    reply = requests.post(
        az.url + "/manager",
        data=iter(parts),
        timeout=10,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert reply.request.headers.get("Transfer-Encoding") == "chunked"
    assert reply.json() == {"projectId": str(az.project_id(proj)), "version": "1"}
    assert len(az.flows(proj)) == 4


def test_multipart_without_boundary_is_login_error(az: Az, proj: str) -> None:
    # azkaban issue #509: a forced bare `multipart/mixed` hides the session field
    body = f"ajax=upload&project={proj}&session.id={az.session_id}"
    reply = requests.post(
        az.url + "/manager",
        data=body.encode(),
        timeout=10,
        headers={"Content-Type": "multipart/mixed"},
    )
    assert reply.status_code == 200
    assert reply.text == "Login error. Need username and password"

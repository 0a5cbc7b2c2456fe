"""Project create / list / delete (reference 4.1, 4.5, 4.6)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from conformance import unique
from sandbox_client import Az, SandboxLike
from sandbox_zips import chain_flows

BAD_NAME = (
    "Project names must start with a letter, followed by any number of letters, digits, '-' or '_'."
)


def test_create_reply_is_compact_json_without_content_type(az: Az) -> None:
    name = az.track(unique("alpha"))
    reply = az.post("/manager", action="create", name=name, description="first")
    assert reply.status_code == 200
    assert "Content-Type" not in reply.headers
    assert reply.text == (
        f'{{"status":"success","action":"redirect","path":"manager?project={name}"}}'
    )


@pytest.mark.parametrize(
    ("name", "description", "message"),
    [
        (None, "d", "Project name cannot be empty."),
        ("   ", "d", "Project name cannot be empty."),
        ("ok", None, "Description cannot be empty."),
        ("ok", "  ", "Description cannot be empty."),
        ("1abc", "d", BAD_NAME),
        ("a.b", "d", BAD_NAME),
        ("a" * 65, "d", "Insert project" + "a" * 65 + " for existing project failed. "),
    ],
)
def test_create_errors_in_check_order(
    az: Az, name: str | None, description: str | None, message: str
) -> None:
    data = {"action": "create"}
    if name is not None:
        data["name"] = name
    if description is not None:
        data["description"] = description
    reply = az.post("/manager", **data)
    assert reply.text == json.dumps({"status": "error", "message": message}, separators=(",", ":"))


def test_name_regex_admits_pipe_dash_underscore_and_64_chars(az: Az) -> None:
    for name in (unique("a|b"), unique("a-b_c9"), unique("x", width=64)):
        assert az.create(name)["status"] == "success", name


def test_names_are_unique_case_insensitively(az: Az) -> None:
    name = unique("MyProj")
    assert az.create(name)["status"] == "success"
    assert az.create(name.lower()) == {"status": "error", "message": "Project already exists."}


def test_fetchallprojects_lists_active_projects(az: Az) -> None:
    one, two = unique("one"), unique("two")
    az.create(one)
    az.create(two)
    reply = az.get("/index", ajax="fetchallprojects")
    assert reply.headers["Content-Type"] == "application/json"
    projects = [p for p in reply.json()["projects"] if p["projectName"] in (one, two)]
    assert [p["projectName"] for p in projects] == [one, two]
    first = projects[0]
    assert isinstance(first["projectId"], int)
    assert first["createdBy"] == az.user
    assert first["userPermissions"] == [{"first": az.user, "second": {"types": ["ADMIN"]}}]
    assert first["groupPermissions"] == []


def test_fetchuserprojects_get_only(az: Az) -> None:
    name = unique("mine")
    az.create(name)
    mine = az.get("/index", ajax="fetchuserprojects").json()["projects"]
    assert name in [p["projectName"] for p in mine]
    nobody = unique("nobody")
    assert az.get("/index", ajax="fetchuserprojects", user=nobody).json() == {"projects": []}
    post = az.post("/index", ajax="fetchuserprojects")
    assert post.status_code == 200
    assert post.text == ""


def test_unknown_index_ajax_is_empty_object(az: Az) -> None:
    assert az.get("/index", ajax="whatever").json() == {}


def test_delete_is_soft_and_name_reusable_with_new_id(az: Az) -> None:
    name = unique("gone")
    az.create(name)
    old_id = az.project_id(name)
    reply = az.get("/manager", delete="true", project=name)
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"
    assert (
        "was successfully deleted and associated schedules are removed."
        in reply.headers["Set-Cookie"]
    )
    assert "azkaban.success.message=" in reply.headers["Set-Cookie"]
    assert name not in az.project_names()
    assert az.get("/manager", ajax="fetchprojectflows", project=name).json() == {
        "project": name,
        "error": f"Project {name} doesn't exist.",
    }
    assert az.create(name)["status"] == "success"
    assert az.project_id(name) != old_id


def test_delete_missing_project_sets_failure_cookie(az: Az) -> None:
    name = unique("nope")
    reply = az.get("/manager", delete="yes", project=name)
    assert reply.status_code == 302
    assert "azkaban.failure.message" in reply.headers["Set-Cookie"]
    assert f"Project {name} doesn't exist." in reply.headers["Set-Cookie"]


def test_delete_by_post_does_nothing(az: Az) -> None:
    name = unique("stays")
    az.create(name)
    reply = az.post("/manager", delete="true", project=name)
    assert reply.text == ""
    assert name in az.project_names()


@pytest.mark.sandbox_only("needs a read-only user made by the sandbox config")
def test_delete_needs_admin(sandbox_factory: Callable[..., SandboxLike]) -> None:
    sb = sandbox_factory(
        users={"azkaban": "azkaban", "reader": "r"}, user_roles={"reader": ("READ",)}
    )
    admin, reader = Az(sb.url), Az(sb.url)
    admin.login()
    reader.login("reader", "r")
    admin.create("guarded")
    reply = reader.get("/manager", delete="true", project="guarded")
    assert reply.headers["Location"] == "/manager?project=guarded"
    assert "Cannot delete. User 'reader' is not an ADMIN." in reply.headers["Set-Cookie"]
    assert reader.get("/manager", ajax="fetchprojectflows", project="guarded").json()["flows"] == []
    upload = reader.upload("guarded", chain_flows(1))
    assert upload.status_code == 400
    assert upload.json() == {
        "error": "Installation Failed. User 'reader' does not have write access."
    }


def test_create_requires_post(az: Az) -> None:
    reply = az.get("/manager", action="create", name=unique("x"), description="d")
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "No project set." in reply.text


def test_download_returns_current_zip(az: Az) -> None:
    name = unique("dl")
    az.create(name)
    data = chain_flows(2)
    az.upload(name, data)
    reply = az.get("/manager", project=name, download="true")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/zip"
    assert reply.content == data


def test_delete_follow_redirect_shows_message_like_real_ui(az: Az) -> None:
    # The PyPI client follows the redirect and looks for the message in the final page.
    name = unique("followme")
    az.create(name)
    reply = requests.get(
        az.url + "/manager",
        params={"delete": "true", "project": name},
        cookies={"azkaban.browser.session.id": az.session_id or ""},
        timeout=10,
    )
    assert reply.status_code == 200
    assert f"Project '{name}' was successfully deleted" in reply.text


def test_shared_sandbox_fixture_is_usable(az_shared: Az) -> None:
    # read-mostly tests share one server: unique names keep them independent
    name = unique("shared")
    assert az_shared.create(name)["status"] == "success"
    assert az_shared.upload(name, chain_flows(2)).status_code == 200
    assert az_shared.flows(name) == ["f0000", "f0001"]

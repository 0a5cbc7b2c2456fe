"""Every reply shape of the spec through `replies` (pure functions, no HTTP)."""

from __future__ import annotations

import json
import pickle

import pytest

from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban import replies
from azkaban_seeder.azkaban.replies import RawReply, RequestKind

JSON = "application/json"
LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Azkaban</title></head><body><form>login</form>"


def pretty(payload: object) -> str:
    """Jackson 1.x always pretty-prints (spec 1.2)."""
    return json.dumps(payload, indent=2).replace('":', '" :')


def raw(body: str, status: int = 200, content_type: str | None = JSON, **kw: object) -> RawReply:
    return RawReply(status=status, content_type=content_type, body=body, **kw)  # type: ignore[arg-type]


# --- the five session-expiry shapes (spec 1.4) -----------------------------------------


@pytest.mark.parametrize(
    ("kind", "reply"),
    [
        pytest.param(RequestKind.AJAX_GET, raw(pretty({"error": "session"})), id="ajax-get"),
        pytest.param(
            RequestKind.PAGE_GET,
            raw(LOGIN_PAGE, content_type="text/html"),
            id="page-get-login-page",
        ),
        pytest.param(
            RequestKind.FORM_POST,
            raw(
                '{"status":"error","message":"Invalid Session. Need to re-login","action":"login"}',
                content_type=None,
            ),
            id="post-xhr-compact-json",
        ),
        pytest.param(
            RequestKind.FORM_POST,
            raw(LOGIN_PAGE, content_type=None),
            id="post-login-page-no-content-type",
        ),
        pytest.param(
            RequestKind.MULTIPART,
            raw("Login error. Need username and password", content_type=None),
            id="multipart-text",
        ),
    ],
)
def test_every_expiry_shape_is_session_expired(kind: RequestKind, reply: RawReply) -> None:
    parse = replies.parse_upload if kind is RequestKind.MULTIPART else None
    with pytest.raises(e.SessionExpired):
        if parse is not None:
            parse("upload", reply)
        else:
            replies.parse_json("endpoint", kind, reply)


def test_expiry_on_delete_is_login_page_not_redirect() -> None:
    with pytest.raises(e.SessionExpired):
        replies.parse_delete("delete", raw(LOGIN_PAGE, content_type="text/html"))


def test_password_in_query_string_is_a_client_bug() -> None:
    body = "Login error. Must pass username and password in request body"
    with pytest.raises(e.AzkabanProtocolError, match="query string"):
        replies.parse_json("x", RequestKind.FORM_POST, raw(body, content_type=None))


# --- login --------------------------------------------------------------------------------


def test_login_success_returns_session_id() -> None:
    body = pretty({"status": "success", "session.id": "5e1a-uuid"})
    assert replies.parse_login("login", raw(body)) == "5e1a-uuid"


@pytest.mark.parametrize(
    "message",
    [
        "Incorrect Login.",
        "Incorrect Login. Username/Password not found.",
        "Potential DDoS found, the number of sessions for this user and IP reached allowed "
        "limit (3).",
    ],
)
def test_login_errors_are_login_failed(message: str) -> None:
    with pytest.raises(e.LoginFailed) as info:
        replies.parse_login("login", raw(pretty({"error": message})))
    assert message in str(info.value)


def test_login_reply_without_session_id_is_protocol_error() -> None:
    with pytest.raises(e.AzkabanProtocolError):
        replies.parse_login("login", raw(pretty({"status": "success"})))


# --- create ---------------------------------------------------------------------------------


def test_create_success_compact_json_without_content_type() -> None:
    body = '{"status":"success","action":"redirect","path":"manager?project=p1"}'
    replies.parse_create("create", raw(body, content_type=None))


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("Project already exists.", e.ProjectAlreadyExists),
        (
            "Project names must start with a letter, followed by any number of letters, digits, "
            "'-' or '_'.",
            e.InvalidProjectName,
        ),
        ("Project name cannot be empty.", e.InvalidProjectName),
        ("Description cannot be empty.", e.AzkabanRequestError),
        ("User bob doesn't have permission to create projects.", e.PermissionDenied),
        ("Insert projectp1 for existing project failed. ", e.AzkabanServerError),
    ],
)
def test_create_errors(message: str, cls: type[e.AzkabanError]) -> None:
    body = json.dumps({"status": "error", "message": message}, separators=(",", ":"))
    with pytest.raises(cls) as info:
        replies.parse_create("create project", raw(body, content_type=None))
    assert type(info.value) is cls
    assert info.value.endpoint == "create project"
    assert info.value.status == 200


# --- upload ---------------------------------------------------------------------------------


def test_upload_success_string_values_and_warning() -> None:
    body = pretty({"projectId": "12", "version": "3", "warn": "Validator X reports warnings"})
    assert replies.parse_upload("upload", raw(body)) == {
        "projectId": "12",
        "version": "3",
        "warn": "Validator X reports warnings",
    }


def test_upload_validator_report_500_is_permanent_with_split_report() -> None:
    report = (
        "Validator Directory Flow reports errors:<br><br>a cannot find dependency b<br>"
        "c has a self cycle<br>"
    )
    body = pretty({"error": report, "projectId": "7", "version": "2"})
    with pytest.raises(e.UploadRejected) as info:
        replies.parse_upload("upload", raw(body, status=500))
    assert info.value.report == ["a cannot find dependency b", "c has a self cycle"]
    assert info.value.status == 500
    assert "2 problems" in str(info.value) and "c has a self cycle" in str(info.value)


@pytest.mark.parametrize(
    "detail",
    [
        "Error unzipping file.",
        "azkaban-flow-version is not specified in the project YAML file.",
        "Duplicate project YAML files found in the project directory. Only one is allowed.",
    ],
)
def test_upload_install_failure_depending_on_zip_is_permanent(detail: str) -> None:
    body = pretty({"error": f"Installation Failed.<br>{detail}", "projectId": "7", "version": "0"})
    with pytest.raises(e.UploadRejected) as info:
        replies.parse_upload("upload", raw(body, status=500))
    assert info.value.report == [detail]


def test_upload_install_failure_json_is_the_servers_verdict() -> None:
    """A JSON 500 without a storage-layer cause is permanent: retrying the same zip is futile."""
    body = pretty(
        {
            "error": "Installation Failed.<br>Upload rejected by policy.",
            "projectId": "7",
            "version": "0",
        }
    )
    with pytest.raises(e.UploadRejected) as info:
        replies.parse_upload("upload", raw(body, status=500))
    assert info.value.report == ["Upload rejected by policy."]


def test_upload_storage_failure_is_transient_server_error() -> None:
    body = pretty(
        {
            "error": "Installation Failed.<br>Error Chunking during uploading files to db...",
            "projectId": "7",
            "version": "0",
        }
    )
    with pytest.raises(e.AzkabanServerError) as info:
        replies.parse_upload("upload", raw(body, status=500))
    assert info.value.status == 500


def test_upload_jetty_500_page_is_transient() -> None:
    page = "<html><body><h2>HTTP ERROR: 500</h2><pre>java.lang.OutOfMemoryError</pre>"
    with pytest.raises(e.AzkabanServerError):
        replies.parse_upload("upload", raw(page, status=500, content_type="text/html"))


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (410, "Installation Failed. Project 'p1 doesn't exist.", e.ProjectNotFound),
        (410, "Installation Failed. Project 'p1 was already removed.", e.ProjectNotFound),
        (400, "Installation Failed. User 'bob' does not have write access.", e.PermissionDenied),
        (403, "Project uploading is locked out. Only admin users ...", e.PermissionDenied),
        (400, "File extension 'tgz' unrecognized.", e.UploadRejected),
        (400, "Content type 'text/plain' does not match extension 'zip'", e.UploadRejected),
        (400, "No project name found.", e.AzkabanProtocolError),
    ],
)
def test_upload_4xx(status: int, message: str, cls: type[e.AzkabanError]) -> None:
    with pytest.raises(cls) as info:
        replies.parse_upload("upload", raw(pretty({"error": message}), status=status))
    assert type(info.value) is cls
    assert info.value.status == status


def test_upload_empty_body_is_protocol_error() -> None:
    with pytest.raises(e.AzkabanProtocolError, match="empty body"):
        replies.parse_upload("upload", raw("", content_type=None))


# --- generic JSON endpoints -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "cls"),
    [
        ({"project": "p", "error": "Project p doesn't exist."}, e.ProjectNotFound),
        (
            {"project": "p", "projectId": 3, "error": "Permission denied. Need READ access."},
            e.PermissionDenied,
        ),
        ({"project": "p", "flow": "f", "error": "Flow f not found in project p"}, e.FlowNotFound),
        ({"error": "Cannot find execution '99'"}, e.ExecutionNotFound),
        ({"error": "Execution 5 of flow f isn't running."}, e.ExecutionNotRunning),
        ({"error": "User 'bob' doesn't have EXECUTE permissions on p"}, e.PermissionDenied),
        ({"error": "Project 'null' not found."}, e.ProjectNotFound),
        ({"error": "Cannot execute command nope"}, e.AzkabanRequestError),
    ],
)
def test_http_200_errors_are_typed(payload: dict[str, object], cls: type[e.AzkabanError]) -> None:
    with pytest.raises(cls) as info:
        replies.parse_ok("ep", RequestKind.AJAX_GET, raw(pretty(payload)))
    assert type(info.value) is cls


def test_parse_ok_returns_payload() -> None:
    payload = {"project": "p", "projectId": 12, "flows": [{"flowId": "a"}]}
    assert replies.parse_ok("ep", RequestKind.AJAX_GET, raw(pretty(payload))) == payload


def test_jetty_missing_parameter_500_is_protocol_error_not_transient() -> None:
    page = (
        "<html><head><title>Error 500 Missing required parameter 'execid'.</title></head>"
        "<body><h2>HTTP ERROR: 500</h2></body></html>"
    )
    with pytest.raises(e.AzkabanProtocolError, match="client bug"):
        replies.parse_json("ep", RequestKind.AJAX_GET, raw(page, 500, "text/html"))


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_5xx_is_server_error_with_status(status: int) -> None:
    with pytest.raises(e.AzkabanServerError) as info:
        replies.parse_json("ep", RequestKind.AJAX_GET, raw("<html>busy</html>", status))
    assert info.value.status == status


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("", "empty body"),
        ("{not json", "malformed JSON"),
        ("[1, 2]", "non-JSON"),
        ("plain words", "non-JSON"),
    ],
)
def test_unparseable_replies(body: str, match: str) -> None:
    with pytest.raises(e.AzkabanProtocolError, match=match):
        replies.parse_json("ep", RequestKind.AJAX_GET, raw(body))


def test_unexpected_redirect_is_protocol_error() -> None:
    with pytest.raises(e.AzkabanProtocolError, match="redirect"):
        replies.parse_json("ep", RequestKind.AJAX_GET, raw("", 302, location="/index"))


# --- schedule -------------------------------------------------------------------------------


def test_schedule_success() -> None:
    body = pretty({"status": "success", "scheduleId": 42, "message": "p.f scheduled."})
    assert replies.parse_schedule("schedule", raw(body)) == 42


def test_schedule_invalid_cron_has_error_without_status() -> None:
    body = pretty({"error": "This expression 0 0 * * * can not be parsed to quartz cron."})
    with pytest.raises(e.InvalidCron, match="quartz"):
        replies.parse_schedule("schedule", raw(body))


def test_schedule_error_beside_status_success_wins() -> None:
    body = pretty(
        {
            "error": "Cron expression must exist.",
            "status": "success",
            "scheduleId": -1,
            "message": "p.f scheduled.",
        }
    )
    with pytest.raises(e.InvalidCron):
        replies.parse_schedule("schedule", raw(body))


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("Project p does not exist", e.ProjectNotFound),
        ("Permission denied. Cannot execute f", e.PermissionDenied),
        ("Flow f cannot be found in project p", e.FlowNotFound),
        ("Flow f in project p is locked.", e.AzkabanRequestError),
    ],
)
def test_schedule_status_errors(message: str, cls: type[e.AzkabanError]) -> None:
    body = pretty({"status": "error", "message": message})
    with pytest.raises(cls) as info:
        replies.parse_schedule("schedule", raw(body))
    assert type(info.value) is cls


def test_schedule_success_without_positive_id_is_protocol_error() -> None:
    body = pretty({"status": "success", "scheduleId": -1})
    with pytest.raises(e.AzkabanProtocolError):
        replies.parse_schedule("schedule", raw(body))


def test_remove_schedule_replies() -> None:
    ok = pretty({"status": "success", "message": "flow f removed from Schedules."})
    assert "removed" in replies.parse_status_reply("remove", raw(ok))
    missing = pretty({"status": "error", "message": "Schedule with ID 9 does not exist"})
    with pytest.raises(e.ScheduleNotFound):
        replies.parse_status_reply("remove", raw(missing))
    gone = pretty({"status": "error", "message": "Project 4 does not exist"})
    with pytest.raises(e.ProjectNotFound):
        replies.parse_status_reply("remove", raw(gone))


# --- execute --------------------------------------------------------------------------------


def test_execute_success() -> None:
    body = pretty(
        {
            "project": "p",
            "flow": "f",
            "execid": 123,
            "message": "Execution queued successfully with exec id 123",
        }
    )
    assert replies.parse_execute("execute", raw(body)) == 123


@pytest.mark.parametrize(
    ("payload", "cls"),
    [
        (
            {
                "project": "p",
                "flow": "f",
                "execid": -1,
                "error": "Error submitting flow f. Flow f is already running. Skipping execution.",
            },
            e.ExecutionRejected,
        ),
        (
            {
                "project": "p",
                "flow": "f",
                "execid": -1,
                "message": "Flow f for project p is locked.",
            },
            e.ExecutionRejected,
        ),
        (
            {
                "project": "p",
                "flow": "f",
                "execid": -1,
                "message": "Failed to submit f for project p. Azkaban has overrun its webserver "
                "queue capacity",
            },
            e.ExecutionRejected,
        ),
        ({"project": "p", "error": "Error parsing flow options: bad"}, e.ExecutionRejected),
        ({"project": "p", "error": "Project 'p' doesn't exist."}, e.ProjectNotFound),
        (
            {
                "project": "p",
                "flow": "f",
                "error": "Flow 'f' cannot be found in project azkaban.project.Project@1a2b",
            },
            e.FlowNotFound,
        ),
    ],
)
def test_execute_failures(payload: dict[str, object], cls: type[e.AzkabanError]) -> None:
    with pytest.raises(cls) as info:
        replies.parse_execute("execute", raw(pretty(payload)))
    assert type(info.value) is cls


# --- delete (302 + message cookie) ----------------------------------------------------------


def test_delete_success_cookie() -> None:
    reply = raw(
        "",
        302,
        None,
        location="http://h/",
        cookies={
            replies.SUCCESS_COOKIE: "\"Project 'p' was successfully deleted and "
            'associated schedules are removed."'
        },
    )
    assert replies.parse_delete("delete", reply).startswith("Project 'p' was successfully")


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("Project p doesn't exist.", e.ProjectNotFound),
        ("Cannot delete. User 'bob' is not an ADMIN.", e.PermissionDenied),
    ],
)
def test_delete_failure_cookie(message: str, cls: type[e.AzkabanError]) -> None:
    reply = raw("", 302, None, cookies={replies.FAILURE_COOKIE: message})
    with pytest.raises(cls, match=r"doesn't exist|ADMIN"):
        replies.parse_delete("delete", reply)


def test_delete_redirect_without_cookie_is_protocol_error() -> None:
    with pytest.raises(e.AzkabanProtocolError):
        replies.parse_delete("delete", raw("", 302, None))


def test_cookie_message_decoding() -> None:
    assert replies.cookie_message('"say \\"hi\\""') == 'say "hi"'
    assert replies.cookie_message("Project%20p%20gone.") == "Project p gone."
    assert replies.cookie_message("plain text.") == "plain text."


# --- error objects --------------------------------------------------------------------------


def test_error_str_names_problem_endpoint_status_and_excerpt() -> None:
    body = "x" * 1000
    error = e.AzkabanServerError(
        "server error HTTP 503", endpoint="upload project", status=503, body=body
    )
    text = str(error)
    assert "server error HTTP 503" in text and "upload project" in text and "HTTP 503" in text
    assert len(error.body) <= e.EXCERPT_CHARS and error.body.endswith("...")


def test_errors_pickle_with_their_fields() -> None:
    error = e.UploadRejected(
        "upload rejected: 2 problems", report=["a", "b"], endpoint="upload", status=500, body="{}"
    )
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is e.UploadRejected
    assert (clone.report, clone.status, clone.endpoint) == (["a", "b"], 500, "upload")
    assert str(clone) == str(error)
    foreign = pickle.loads(pickle.dumps(e.ForeignProjectError("p", "it has flows 'x'")))
    assert foreign.project == "p" and "p" in str(foreign)


def test_as_int_accepts_numeric_strings_only() -> None:
    assert replies.as_int("12") == 12 and replies.as_int(7) == 7
    assert replies.as_int("x") is None and replies.as_int(True) is None

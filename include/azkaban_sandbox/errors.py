"""The real Azkaban web server's reply texts, in one place, and the sandbox's exceptions.

Texts are copied verbatim from the real server (docs/azkaban-reference.md), typos included:
clients match on them, so the sandbox must reproduce them byte for byte.

Exceptions (internal, never sent to clients as-is)::

    SandboxError
    +-- MissingParameter     getParam on an absent parameter -> Jetty 500 page
    +-- ServerCrash          an uncaught Java exception (NPE, NumberFormatException) -> 500
    +-- ModelError           a rule violation the servlet reports in its reply (`message`)
        +-- AuthError        the user manager rejected the credentials
        +-- AccessDenied     a permission or missing-project check of an ajax call
        +-- UploadRejected   an upload answered with an error status (+ projectId/version)
        +-- DeleteRefused    a delete answered with a failure cookie and a redirect
        +-- ScheduleRefused  `{"status": "error", "message": ...}` of the schedule servlet
        +-- InvalidCron      `{"error": ...}` without a status (unparsable cron)
        +-- SubmitRefused    an executeFlow error (with or without `flow` and `execid`)
"""

from __future__ import annotations

from azkaban_sandbox.store.records import ProjectRecord

# --- login and sessions (LoginAbstractAzkabanServlet, XmlUserManager) ---
LOGIN_PASSWORD_IN_QUERY = "Login error. Must pass username and password in request body"
LOGIN_NEED_CREDENTIALS = "Login error. Need username and password"
LOGIN_ERROR_PREFIX = "Login error: "
INCORRECT_LOGIN = "Incorrect Login."
USERNAME_EMPTY = "Username is empty."
PASSWORD_EMPTY = "Password is empty."
USER_NOT_FOUND = "Username/Password not found."
INVALID_SESSION = "Invalid Session. Need to re-login"

# --- create project (ProjectManager.createProject) ---
NAME_EMPTY = "Project name cannot be empty."
DESCRIPTION_EMPTY = "Description cannot be empty."
NAME_INVALID = (
    "Project names must start with a letter, followed by any number of letters, digits, '-' or '_'."
)
PROJECT_EXISTS = "Project already exists."
INSERT_FAILED = "Insert project{name} for existing project failed. "
CREATE_LOCKED = "User {user} doesn't have permission to create projects."

# --- upload (ProjectManagerServlet.ajaxHandleUpload) ---
NO_PROJECT_NAME = "No project name found."
UPLOAD_NO_PROJECT = "Installation Failed. Project '{name} doesn't exist."
UPLOAD_REMOVED = "Installation Failed. Project '{name} was already removed."
UPLOAD_NO_WRITE = "Installation Failed. User '{user}' does not have write access."
BAD_EXTENSION = "File extension '{ext}' unrecognized."
BAD_CONTENT_TYPE = "Content type '{ct}' does not match extension 'zip'"
INSTALL_FAILED = "Installation Failed.<br>"
TOO_MANY_ERRORS = "<br>Too many errors to display.<br>"
VALIDATOR_REPORT = "Validator Directory Flow reports errors:<br><br>"
INSTALL_MESSAGE_LIMIT = 512
REPORT_LIMIT = 4000

# --- /manager ajax (ProjectManagerServlet.handleAJAXAction) ---
MANAGER_NO_PROJECT = "Project {name} doesn't exist."
NEED_PERMISSION = "Permission denied. Need {type} access."
UNKNOWN_COMMAND = "Cannot execute command {name}"
FLOW_NOT_FOUND = "Flow {flow} not found in project {project}"

# --- delete (handleRemoveProject) ---
DELETE_NO_PROJECT = "Project {name} doesn't exist."
DELETE_NOT_ADMIN = "Cannot delete. User '{user}' is not an ADMIN."
DELETE_OK = "Project '{name}' was successfully deleted and associated schedules are removed."

# --- schedules (ScheduleServlet) ---
SCHED_NO_PROJECT = "Project {name} does not exist"
SCHED_DENIED = "Permission denied. Cannot execute {flow}"
SCHED_NO_FLOW = "Flow {flow} cannot be found in project {project}"
SCHED_BAD_CRON = "This expression <{expr}> can not be parsed to quartz cron."
SCHED_NO_CRON = "Cron expression must exist."
SCHED_OK = "{project}.{flow} scheduled."
REMOVE_OK = "flow {flow} removed from Schedules."
REMOVE_UNKNOWN = "Schedule with ID {id} does not exist"
REMOVE_NO_PROJECT = "Project {id} does not exist"
REMOVE_DENIED = "Permission denied. Cannot remove schedule with id {id}"

# --- executions (ExecutorServlet, AbstractExecutorManagerAdapter) ---
EXEC_NO_PROJECT = "Project '{name}' doesn't exist."
EXEC_NO_FLOW = "Flow '{flow}' cannot be found in project azkaban.project.Project@{hash}"
EXEC_QUEUED = "Execution queued successfully with exec id {execid}"
EXEC_SKIP = "Error submitting flow {flow}. Flow {flow} is already running. Skipping execution."
EXEC_TOO_MANY = (
    "Error submitting flow {flow}. Flow {flow} has more than {limit} concurrent runs. Skipping"
)
EXEC_PIPELINE = "Flow {flow} is already running with exec id {ids}. Pipelining level {level}. \n"
EXEC_CONCURRENT = "Flow {flow} is already running with exec id {ids}. Will execute concurrently. \n"
EXEC_BAD_OPTIONS = "Error parsing flow options: {msg}"
EXEC_NOT_FOUND = "Cannot find execution '{execid}'"
EXEC_NOT_RUNNING = "Execution {execid} of flow {flow} isn't running."
EXEC_DENIED = "User '{user}' doesn't have {type} permissions on {project}"
PROJECT_NULL = "Project 'null' not found."


class SandboxError(Exception):
    """Base of the sandbox's internal exceptions (never sent to clients as-is)."""


class MissingParameter(SandboxError):
    """`HttpRequestUtils.getParam` on an absent parameter: Jetty answers with a 500 HTML page."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Missing required parameter '{name}'.")
        self.name = name


class ServerCrash(SandboxError):
    """An uncaught Java exception in the real servlet (NPE, NumberFormatException): HTTP 500."""

    def __init__(self, java_exception: str, message: str = "") -> None:
        super().__init__(message or java_exception)
        self.java_exception = java_exception
        self.message = message


class ModelError(SandboxError):
    """A rule violation the servlet reports in its reply body; `message` is the server's text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthError(ModelError):
    """The user manager rejected the credentials (message from XmlUserManager)."""


class AccessDenied(ModelError):
    """A project or permission check failed; `message` is the reply's `error` text."""


class UploadRejected(ModelError):
    """An upload answered with an error status; `project` adds projectId/version to the reply."""

    def __init__(self, status: int, message: str, project: ProjectRecord | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.project = project


class DeleteRefused(ModelError):
    """Delete failed; `location` is where the real server redirects."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.location = location


class ScheduleRefused(ModelError):
    """The schedule servlet's `{"status": "error", "message": ...}` replies."""


class InvalidCron(ModelError):
    """An unparsable cron: the reply is `{"error": ...}` with no `status`."""


class SubmitRefused(ModelError):
    """executeFlow refused; `flow_known` echoes `flow`, `execid` (-1) is added when set."""

    def __init__(self, message: str, *, flow_known: bool = True, execid: int | None = None) -> None:
        super().__init__(message)
        self.flow_known = flow_known
        self.execid = execid

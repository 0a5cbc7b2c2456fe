"""Every exception the Azkaban client raises, in one tree.

::

    AzkabanError                      root: catch this to catch everything below
    ├── SettingsError                 bad ConnectionSettings / AZKABAN_* variables (also ValueError)
    ├── AzkabanTransportError         the HTTP exchange itself failed
    │   ├── ConnectFailed             no connection: the request was provably never sent
    │   ├── RequestTimeout            read timeout: the server may have acted
    │   └── ConnectionDropped         connection lost mid-exchange: the server may have acted
    ├── AzkabanServerError            HTTP 5xx (or 429) without a permanent verdict; `.status`
    ├── SessionExpired                one of the five "no session" reply shapes (spec 1.4)
    ├── AzkabanRequestError           the server understood and refused: never retried
    │   ├── LoginFailed               wrong credentials ("Incorrect Login. ...")
    │   ├── PermissionDenied
    │   ├── ProjectNotFound
    │   ├── ProjectAlreadyExists
    │   ├── InvalidProjectName
    │   ├── ForeignProjectError       a project of that name exists and is not ours
    │   ├── UploadRejected            zip refused; `.report` = validator messages
    │   ├── FlowCountMismatch         upload accepted but a different number of flows appeared
    │   ├── FlowNotFound
    │   ├── InvalidCron
    │   ├── ScheduleNotFound
    │   ├── ExecutionRejected         executeFlow answered without a positive execid
    │   ├── ExecutionNotFound
    │   └── ExecutionNotRunning       cancelFlow on a finished execution
    ├── AzkabanProtocolError          a reply we cannot parse or did not expect
    └── ServerUnreachable             the run's outage window passed: not sent, never retried

Transient (retried, see `retry.py`): transport errors, `AzkabanServerError`,
`SessionExpired` (after a re-login). Everything else fails fast.
"""

from __future__ import annotations

from azkaban_seeder.azkaban.redaction import redact

EXCERPT_CHARS = 300


def excerpt(body: str | bytes | None, limit: int = EXCERPT_CHARS) -> str:
    """A short single-line excerpt of a reply body for error messages."""
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class AzkabanError(Exception):
    """Root of the tree: `endpoint`, HTTP `status` and a `body` excerpt when known."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        body: str | bytes | None = None,
    ) -> None:
        # The one redaction point (see redaction.py): messages and body excerpts are the only
        # way reply text leaves the client, so secrets are removed here, before truncation.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status = status
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        self.body = excerpt(redact(body)) if body else ""

    def __str__(self) -> str:
        context = []
        if self.endpoint:
            context.append(self.endpoint)
        if self.status is not None:
            context.append(f"HTTP {self.status}")
        text = self.message
        if context:
            text += f" [{', '.join(context)}]"
        if self.body and self.body not in self.message:
            text += f" reply: {self.body!r}"
        return text

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructor arguments survive pickling (multiprocessing results).
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[AzkabanError], message: str, state: dict[str, object]) -> AzkabanError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class SettingsError(AzkabanError, ValueError):
    """Connection settings are unusable; the message names the variable or field."""


class AzkabanTransportError(AzkabanError):
    """The HTTP exchange failed before a complete reply arrived."""


class ConnectFailed(AzkabanTransportError):
    """No connection could be opened: the request was never sent (always safe to retry)."""


class RequestTimeout(AzkabanTransportError):
    """The reply did not arrive in time; the server may still have acted on the request."""


class ConnectionDropped(AzkabanTransportError):
    """The connection broke mid-exchange; the server may have acted on the request."""


class AzkabanServerError(AzkabanError):
    """HTTP 5xx (or 429) that carries no permanent verdict; considered transient."""


class SessionExpired(AzkabanError):
    """The server did not recognise our session (any of the shapes of spec 1.4)."""


class AzkabanRequestError(AzkabanError):
    """The server understood the request and refused it; retrying cannot help."""


class LoginFailed(AzkabanRequestError):
    """Login refused (wrong user/password, or a per-IP session cap)."""


class PermissionDenied(AzkabanRequestError):
    """Our user lacks a permission on the project (or globally)."""


class ProjectNotFound(AzkabanRequestError):
    """The project does not exist (or was deleted)."""


class ProjectAlreadyExists(AzkabanRequestError):
    """`create` refused: an active project of that name exists (case-insensitively)."""


class InvalidProjectName(AzkabanRequestError):
    """The name breaks Azkaban's rule `[a-zA-Z][a-zA-Z_0-9|-]*` (or is empty)."""


class ForeignProjectError(AzkabanRequestError):
    """A project of that name exists but was not made by azkaban-seeder; we leave it alone."""

    def __init__(self, project: str, reason: str) -> None:
        super().__init__(
            f"Project {project!r} exists but is not managed by azkaban-seeder ({reason}); "
            "refusing to touch it. Pick another prefix or remove the project by hand.",
            endpoint="ownership check",
        )
        self.project = project
        self.reason = reason


class UploadRejected(AzkabanRequestError):
    """The server refused the zip; `.report` lists the validator/installer messages."""

    def __init__(
        self,
        message: str,
        *,
        report: list[str] | None = None,
        endpoint: str | None = None,
        status: int | None = None,
        body: str | bytes | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status, body=body)
        self.report = [redact(line) for line in report or []]

    def __str__(self) -> str:
        head = super().__str__()
        if not self.report:
            return head
        shown = "\n  - ".join(self.report[:20])
        more = f"\n  (+{len(self.report) - 20} more)" if len(self.report) > 20 else ""
        return f"{head}\n  - {shown}{more}"


class FlowCountMismatch(AzkabanRequestError):
    """The upload succeeded but the project lists a different number of flows than expected."""


class FlowNotFound(AzkabanRequestError):
    """The flow does not exist in the project."""


class InvalidCron(AzkabanRequestError):
    """The cron expression is not a Quartz expression with a future fire time."""


class ScheduleNotFound(AzkabanRequestError):
    """No schedule with that id."""


class ExecutionRejected(AzkabanRequestError):
    """executeFlow did not start an execution (error, locked flow, full queue, ...)."""


class ExecutionNotFound(AzkabanRequestError):
    """No execution with that id."""


class ExecutionNotRunning(AzkabanRequestError):
    """cancelFlow on an execution that is not running."""


class AzkabanProtocolError(AzkabanError):
    """The reply could not be parsed or has a shape the spec does not describe."""


class ServerUnreachable(AzkabanError):
    """The server has been unreachable for longer than the run's outage window (see
    `health.py`); the request was not sent. Not transient: the run stops trying."""

    def __init__(self, since: float, window: float, *, endpoint: str | None = None) -> None:
        from azkaban_seeder.azkaban.health import describe_since

        super().__init__(
            f"server unreachable since {describe_since(since)} (down longer than the "
            f"{window:g} s outage window)",
            endpoint=endpoint,
        )
        self.since = since
        self.window = window

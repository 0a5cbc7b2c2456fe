"""Azkaban web-server client: settings, transport, reply parsing, retries, endpoints.

Import from here: ``from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings``.
"""

from __future__ import annotations

from azkaban_seeder.azkaban.client import AzkabanClient, ProjectInfo, ScheduleInfo, UploadResult
from azkaban_seeder.azkaban.errors import (
    AzkabanError,
    AzkabanProtocolError,
    AzkabanRequestError,
    AzkabanServerError,
    AzkabanTransportError,
    ConnectFailed,
    ConnectionDropped,
    ExecutionNotFound,
    ExecutionNotRunning,
    ExecutionRejected,
    FlowCountMismatch,
    FlowNotFound,
    ForeignProjectError,
    InvalidCron,
    InvalidProjectName,
    LoginFailed,
    PermissionDenied,
    ProjectAlreadyExists,
    ProjectNotFound,
    RequestTimeout,
    ScheduleNotFound,
    ServerUnreachable,
    SessionExpired,
    SettingsError,
    UploadRejected,
)
from azkaban_seeder.azkaban.health import HealthBoard, LocalHealth, SharedHealth
from azkaban_seeder.azkaban.ownership import MARKER
from azkaban_seeder.azkaban.retry import RetryPolicy, is_never_acted_on, is_transient
from azkaban_seeder.azkaban.settings import ConnectionSettings
from azkaban_seeder.azkaban.stats import RetryStats
from azkaban_seeder.azkaban.threads import THREADS, ClientPerThread

__all__ = [
    "MARKER",
    "THREADS",
    "AzkabanClient",
    "AzkabanError",
    "AzkabanProtocolError",
    "AzkabanRequestError",
    "AzkabanServerError",
    "AzkabanTransportError",
    "ClientPerThread",
    "ConnectFailed",
    "ConnectionDropped",
    "ConnectionSettings",
    "ExecutionNotFound",
    "ExecutionNotRunning",
    "ExecutionRejected",
    "FlowCountMismatch",
    "FlowNotFound",
    "ForeignProjectError",
    "HealthBoard",
    "InvalidCron",
    "InvalidProjectName",
    "LocalHealth",
    "LoginFailed",
    "PermissionDenied",
    "ProjectAlreadyExists",
    "ProjectInfo",
    "ProjectNotFound",
    "RequestTimeout",
    "RetryPolicy",
    "RetryStats",
    "ScheduleInfo",
    "ScheduleNotFound",
    "ServerUnreachable",
    "SessionExpired",
    "SettingsError",
    "SharedHealth",
    "UploadRejected",
    "UploadResult",
    "is_never_acted_on",
    "is_transient",
]

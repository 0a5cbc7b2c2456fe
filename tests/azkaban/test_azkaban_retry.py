"""Retry predicates and the bounded tenacity policy (no HTTP)."""

from __future__ import annotations

import logging

import pytest

from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban.retry import RetryPolicy, is_never_acted_on, is_transient, reason_of
from azkaban_seeder.azkaban.stats import RetryStats

TRANSIENT = [
    e.ConnectFailed("x"),
    e.RequestTimeout("x"),
    e.ConnectionDropped("x"),
    e.AzkabanServerError("x", status=503),
    e.SessionExpired("x"),
]
PERMANENT = [
    e.UploadRejected("x", report=["bad"]),
    e.InvalidProjectName("x"),
    e.ProjectAlreadyExists("x"),
    e.PermissionDenied("x"),
    e.InvalidCron("x"),
    e.ExecutionRejected("x"),
    e.LoginFailed("x"),
    e.AzkabanProtocolError("x"),
    e.SettingsError("x"),
    ValueError("x"),
]


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda x: type(x).__name__)
def test_transient(exc: Exception) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize("exc", PERMANENT, ids=lambda x: type(x).__name__)
def test_permanent_never_retried(exc: Exception) -> None:
    assert not is_transient(exc)
    assert not is_never_acted_on(exc)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (e.ConnectFailed("x"), True),
        (e.SessionExpired("x"), True),
        (e.RequestTimeout("x"), False),
        (e.ConnectionDropped("x"), False),
        (e.AzkabanServerError("x", status=500), False),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, Exception) else str(x),
)
def test_never_acted_on_only_when_provably_unsent(exc: Exception, expected: bool) -> None:
    assert is_never_acted_on(exc) is expected


def test_reason_labels() -> None:
    assert reason_of(e.AzkabanServerError("x", status=502)) == "http_502"
    assert reason_of(e.ConnectFailed("x")) == "connect_failed"
    assert reason_of(e.RequestTimeout("x")) == "timeout"
    assert reason_of(e.SessionExpired("x")) == "session_expired"


def _failing(errors: list[BaseException], result: str = "ok"):  # type: ignore[no-untyped-def]
    calls = []

    def fn() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def test_retries_until_success_and_counts_one_warning_per_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = RetryStats()
    fn, calls = _failing([e.ConnectFailed("refused"), e.AzkabanServerError("boom", status=503)])
    caplog.set_level(logging.WARNING, logger="azkaban_seeder.azkaban.retry")
    result = RetryPolicy(attempts=5).with_waits(0).retrying("fetch x", stats)(fn)
    assert result == "ok" and len(calls) == 3
    assert stats.snapshot()["retries_by_reason"] == {"connect_failed": 1, "http_503": 1}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "fetch x" in warnings[0].getMessage() and "attempt 1/5" in warnings[0].getMessage()


def test_attempts_are_bounded_and_last_error_reraised() -> None:
    stats = RetryStats()
    fn, calls = _failing([e.RequestTimeout(f"t{i}") for i in range(10)])
    with pytest.raises(e.RequestTimeout, match="t2"):
        RetryPolicy(attempts=3).with_waits(0).retrying("x", stats)(fn)
    assert len(calls) == 3
    assert stats.total_retries == 2


def test_permanent_error_is_not_retried() -> None:
    stats = RetryStats()
    fn, calls = _failing([e.UploadRejected("bad zip", report=["Error unzipping file."])])
    with pytest.raises(e.UploadRejected):
        RetryPolicy().with_waits(0).retrying("upload", stats)(fn)
    assert len(calls) == 1 and stats.total_retries == 0


def test_execute_predicate_stops_on_timeout() -> None:
    fn, calls = _failing([e.ConnectFailed("refused"), e.RequestTimeout("slow")])
    with pytest.raises(e.RequestTimeout):
        RetryPolicy().with_waits(0).retrying("execute", RetryStats(), is_never_acted_on)(fn)
    assert len(calls) == 2


def test_elapsed_time_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """stop_after_delay: with max_seconds=0 the first failure is final even if attempts remain."""
    fn, calls = _failing([e.ConnectFailed("a"), e.ConnectFailed("b")])
    with pytest.raises(e.ConnectFailed):
        RetryPolicy(attempts=10, max_seconds=0).with_waits(0).retrying("x", RetryStats())(fn)
    assert len(calls) == 1


def test_default_waits_are_jittered_exponential_and_capped() -> None:
    policy = RetryPolicy(initial_wait=0.5, max_wait=2.0)
    sleeps: list[float] = []
    fn, _ = _failing([e.ConnectFailed("x")] * 5)
    retrying = policy.retrying("x", RetryStats())
    retrying.sleep = sleeps.append
    retrying(fn)
    assert len(sleeps) == 5
    assert all(0 <= s <= 2.0 for s in sleeps)


def test_session_expiry_retried_without_waiting() -> None:
    sleeps: list[float] = []
    fn, _ = _failing([e.SessionExpired("gone")])
    retrying = RetryPolicy(initial_wait=5, max_wait=5).retrying("x", RetryStats())
    retrying.sleep = sleeps.append
    retrying(fn)
    assert sleeps == [0.0]


def test_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)

"""Retry predicates and the bounded tenacity policy (no HTTP)."""

from __future__ import annotations

import logging

import pytest
from fake_azkaban_server import PASSWORD, FakeAzkaban, Reply

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
    assert "fetch x" in warnings[0].getMessage() and "attempt 1 failed" in warnings[0].getMessage()


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


@pytest.mark.parametrize(
    ("argv", "attempts"),
    [
        (["verify", "--flow-count", "3", "--flows-per-project", "3", "--retry-attempts", "1"], 1),
        (["verify", "--flow-count", "3", "--flows-per-project", "3", "--retry-attempts", "3"], 3),
        (["teardown", "--prefix", "stress", "--retry-attempts", "2"], 2),
    ],
)
def test_verify_and_teardown_honour_the_users_retry_attempts(
    argv: list[str],
    attempts: int,
    fake_azkaban: FakeAzkaban,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression: preflight and verify ignored --retry-attempts / --retry-max-seconds.
    from azkaban_seeder.cli import main

    fake_azkaban.script = lambda req: Reply(500, "internal error")
    monkeypatch.setenv("AZKABAN_URL", fake_azkaban.url)
    monkeypatch.setenv("AZKABAN_PASSWORD", PASSWORD)

    assert main([*argv, "--url", fake_azkaban.url]) == 1
    scripted = [r for r in fake_azkaban.requests if r.params.get("action") != "login"]
    first_call = scripted[0].params.get("ajax")
    assert sum(1 for r in scripted if r.params.get("ajax") == first_call) == attempts


def test_an_outage_is_ridden_out_by_time_not_by_attempt_count() -> None:
    # Regression: 6 attempts with full jitter spanned ~8 s, so a 10 s restart failed the run.
    outage = [e.ConnectFailed("refused")] * 40 + [e.AzkabanServerError("starting", status=503)]
    fn, calls = _failing(outage)
    policy = RetryPolicy(attempts=2, outage_seconds=30.0).with_waits(0)
    assert policy.retrying("fetch x", RetryStats())(fn) == "ok"
    assert len(calls) == 42  # far more than 2 attempts: the outage was shorter than 30 s


def test_an_outage_longer_than_the_window_gives_up() -> None:
    fn, calls = _failing([e.ConnectFailed("refused")] * 10_000)
    policy = RetryPolicy(attempts=50, outage_seconds=0.3).with_waits(0.05)
    with pytest.raises(e.ConnectFailed):
        policy.retrying("fetch x", RetryStats())(fn)
    assert 3 <= len(calls) < 50


def test_session_renewals_never_eat_the_attempts_of_the_request() -> None:
    # Regression: with --retry-attempts 1, an expired session failed the request.
    fn, calls = _failing([e.SessionExpired("session"), e.SessionExpired("session")])
    assert RetryPolicy(attempts=1).with_waits(0).retrying("x", RetryStats())(fn) == "ok"
    assert len(calls) == 3

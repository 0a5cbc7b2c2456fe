"""The request-thread cap (`max_threads`, Azkaban's jetty.maxThreads): what a saturated server
does to its clients, over real HTTP.

A slow upload (the cost model's delay) holds its thread; the requests behind it wait, so the
cap shows in wall time, in the `threads` stats, and as read timeouts for impatient clients,
whose requests the server still serves later (it had them already). Control calls under
`/_sandbox/` never wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sandbox_client import Az, SandboxLike
from sandbox_zips import chain_flows

from azkaban_sandbox.cli import sandbox_main
from azkaban_sandbox.config import SETTINGS, ConfigError, SandboxConfig

pytestmark = pytest.mark.sandbox_only("caps the sandbox's request threads")

Factory = Callable[..., SandboxLike]
ZIP = chain_flows(2)


def _logged_in(sb: SandboxLike, projects: list[str]) -> str:
    """A session id, with `projects` created (before any slow request)."""
    az = Az(sb.url)
    sid = az.login()
    for name in projects:
        assert az.create(name)["status"] == "success"
    az.http.close()
    return sid


def _upload(url: str, sid: str, project: str, timeout: float = 30) -> requests.Response:
    """One multipart upload on its own connection; `timeout` is the read timeout."""
    with requests.Session() as http:
        return http.post(
            url + "/manager",
            data={"ajax": "upload", "project": project, "session.id": sid},
            files={"file": (f"{project}.zip", ZIP, "application/zip")},
            timeout=(5, timeout),
        )


def _wait_for(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def _threads(sb: SandboxLike) -> dict[str, Any]:
    stats: dict[str, Any] = sb.server.stats()["threads"]
    return stats


@pytest.mark.parametrize(("max_threads", "waves"), [(2, 3), (0, 1)])
def test_at_most_max_threads_uploads_are_handled_at_once(
    sandbox_factory: Factory, max_threads: int, waves: int
) -> None:
    sb = sandbox_factory(max_threads=max_threads, cost_base_ms=400)
    projects = [f"cap{i}" for i in range(6)]
    sid = _logged_in(sb, projects)
    sb.server.controls.reset_stats()
    started = time.perf_counter()
    with ThreadPoolExecutor(len(projects)) as pool:
        replies = list(pool.map(lambda name: _upload(sb.url, sid, name), projects))
    seconds = time.perf_counter() - started
    assert [r.json()["version"] for r in replies] == ["1"] * 6
    # A thread is given back just after its reply is written: the last may still be held.
    _wait_for(lambda: _threads(sb)["busy"] == 0)
    threads = _threads(sb)
    stats = sb.server.stats()
    assert stats["uploads"]["ok"] == 6
    if max_threads:
        # 6 uploads of 0.4 s through 2 threads: three waves, the other 4 queued at first.
        assert threads["busy_max"] == stats["in_flight_max"] == 2
        assert threads["queued_max"] >= 3 and threads["queued_total"] >= 3
        assert seconds >= 3 * 0.4
    else:
        assert threads["busy_max"] >= 3 and threads["queued_total"] == 0
        assert seconds < 3 * 0.4
    assert (threads["queued"], threads["max_threads"]) == (0, max_threads)
    reset = sb.server.controls.reset_stats()["threads"]
    assert (reset["busy_max"], reset["queued_max"], reset["queued_total"]) == (0, 0, 0)


def test_a_queued_client_with_a_short_read_timeout_times_out_yet_is_served(
    sandbox_factory: Factory,
) -> None:
    sb = sandbox_factory(max_threads=1, cost_base_ms=1000)
    sid = _logged_in(sb, ["slow", "late"])
    first = threading.Thread(target=_upload, args=(sb.url, sid, "slow"))
    first.start()
    _wait_for(lambda: _threads(sb)["busy"] == 1)
    started = time.perf_counter()
    with pytest.raises(requests.ReadTimeout):  # connected at once, then no reply in time
        _upload(sb.url, sid, "late", timeout=0.3)
    assert time.perf_counter() - started < 0.9
    first.join()
    # The server had the whole request: it serves it once a thread is free (it may have acted).
    _wait_for(lambda: sb.server.stats()["uploads"]["ok"] == 2)
    az = Az(sb.url)
    az.session_id = sid
    assert az.flows("late") == ["f0000", "f0001"]
    threads = _threads(sb)
    assert threads["queued_max"] == 1 and threads["queue_wait_max_seconds"] >= 0.5


def test_control_calls_answer_while_every_thread_is_busy(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(max_threads=1, cost_base_ms=1500)
    sid = _logged_in(sb, ["busy"])
    first = threading.Thread(target=_upload, args=(sb.url, sid, "busy"))
    first.start()
    _wait_for(lambda: _threads(sb)["busy"] == 1)
    with pytest.raises(requests.ReadTimeout):  # an Azkaban call waits for the thread ...
        requests.get(
            sb.url + "/index", params={"ajax": "fetchallprojects", "session.id": sid}, timeout=0.3
        )
    reply = requests.get(sb.url + "/_sandbox/stats", timeout=0.5)  # ... a control call does not
    assert reply.status_code == 200
    threads = reply.json()["threads"]
    assert threads["busy"] == 1 and threads["queued"] == 1
    first.join()


@pytest.mark.parametrize(("per", "blocked"), [("request", False), ("connection", True)])
def test_an_idle_keep_alive_connection_holds_a_thread_only_per_connection(
    sandbox_factory: Factory, per: str, blocked: bool
) -> None:
    sb = sandbox_factory(max_threads=1, thread_per=per)
    sid = sb.server.controls.open_session()
    params = {"ajax": "fetchallprojects", "session.id": sid}
    idle = requests.Session()  # keeps its connection open after the reply
    try:
        assert idle.get(sb.url + "/index", params=params, timeout=5).status_code == 200
        other = requests.Session()
        if blocked:
            with pytest.raises(requests.ReadTimeout):
                other.get(sb.url + "/index", params=params, timeout=0.3)
        else:
            assert other.get(sb.url + "/index", params=params, timeout=5).status_code == 200
        other.close()
        if blocked:
            assert _threads(sb)["busy"] == 1  # the idle connection's
        else:
            _wait_for(lambda: _threads(sb)["busy"] == 0)
    finally:
        idle.close()
    # Closing the idle connection frees its thread for whoever waits (first the request the
    # impatient client left behind, then this one).
    assert requests.get(sb.url + "/index", params=params, timeout=5).status_code == 200
    queued = _threads(sb)["queued_total"]
    assert queued >= 1 if blocked else queued == 0


def test_an_idle_connection_gives_its_thread_back_after_max_idle_seconds(
    sandbox_factory: Factory,
) -> None:
    sb = sandbox_factory(max_threads=1, thread_per="connection", max_idle_seconds=0.5)
    sid = sb.server.controls.open_session()
    params = {"ajax": "fetchallprojects", "session.id": sid}
    with requests.Session() as idle, requests.Session() as other:
        assert idle.get(sb.url + "/index", params=params, timeout=5).status_code == 200
        started = time.perf_counter()
        assert other.get(sb.url + "/index", params=params, timeout=5).status_code == 200
        waited = time.perf_counter() - started
    assert 0.4 <= waited < 4
    assert _threads(sb)["queued_total"] == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_threads": -1}, "max_threads=-1: out of range; use an integer from 0 to 10000"),
        ({"max_threads": "20"}, "max_threads='20': not an integer from 0 to 10000"),
        ({"max_threads": 2.5}, "max_threads=2.5: not an integer"),
        ({"thread_per": "socket"}, "thread_per='socket': unknown; use one of request, connection"),
        ({"max_idle_seconds": -1.0}, "max_idle_seconds=-1.0: out of range; use a number >= 0"),
    ],
)
def test_bad_thread_settings_are_refused_naming_the_fix(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        SandboxConfig(**values)
    name = next(iter(values))
    assert str(refused.value).startswith(message)
    assert str(refused.value).endswith(f"({SETTINGS[name].flag})")


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["--max-threads", "-1"], "argument --max-threads: -1 out of range; use an integer"),
        (["--thread-per", "socket"], "argument --thread-per: socket unknown; use one of request"),
    ],
)
def test_bad_thread_flags_exit_2_before_serving(
    capsys: pytest.CaptureFixture[str], argv: list[str], shown: str
) -> None:
    assert sandbox_main(argv) == 2
    assert shown in capsys.readouterr().err


def test_defaults_are_azkabans() -> None:
    config = SandboxConfig()
    assert (config.max_threads, config.thread_per, config.max_idle_seconds) == (
        20,
        "request",
        200.0,
    )

"""Seeded fault injection and the /_sandbox/ control API."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from sandbox_client import Az, SandboxLike
from sandbox_zips import chain_flows

pytestmark = pytest.mark.sandbox_only("injects faults and reads counters via /_sandbox/")


def _faults(sb: SandboxLike, **body: Any) -> dict[str, Any]:
    reply = requests.put(sb.url + "/_sandbox/faults", json=body, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.parametrize("kind,status", [("http500", 500), ("http502", 502), ("http503", 503)])
def test_http_status_faults_are_counted_and_logged(
    sandbox: SandboxLike, az: Az, caplog: pytest.LogCaptureFixture, kind: str, status: int
) -> None:
    _faults(sandbox, rate=1.0, seed=3, kinds=[kind])
    with caplog.at_level(logging.WARNING, logger="azkaban_sandbox.faults"):
        reply = az.get("/index", ajax="fetchallprojects")
    assert reply.status_code == status
    stats = requests.get(sandbox.url + "/_sandbox/stats", timeout=10).json()
    assert stats["faults"] == {kind: 1}
    assert any(
        kind in r.getMessage() and "fetchallprojects" in r.getMessage() for r in caplog.records
    )


def test_drop_closes_connection_without_reply(sandbox: SandboxLike, az: Az) -> None:
    _faults(sandbox, rate=1.0, kinds=["drop"])
    with pytest.raises(requests.ConnectionError):
        az.get("/index", ajax="fetchallprojects")


def test_slow_reply_is_applied(sandbox: SandboxLike, az: Az) -> None:
    az.create("slowp")
    _faults(sandbox, rate=1.0, kinds=["slow"], slow_seconds=0.3)
    start = time.monotonic()
    reply = az.upload("slowp", chain_flows(1))
    assert time.monotonic() - start >= 0.3
    assert reply.json() == {"projectId": "1", "version": "1"}


def test_slow_drop_applies_nothing(sandbox: SandboxLike, az: Az) -> None:
    az.create("sd")
    _faults(sandbox, rate=1.0, kinds=["slow_drop"], slow_seconds=0.05)
    with pytest.raises(requests.ConnectionError):
        az.upload("sd", chain_flows(1))
    _faults(sandbox, rate=0.0)
    assert az.upload("sd", chain_flows(1)).json()["version"] == "1"


def test_session_fault_uses_request_shape_and_spares_login(sandbox: SandboxLike) -> None:
    az = Az(sandbox.url)
    az.login()
    az.create("sess")
    _faults(sandbox, rate=1.0, kinds=["session"])
    assert az.get("/index", ajax="fetchallprojects").json() == {"error": "session"}
    assert az.upload("sess", chain_flows(1)).text == "Login error. Need username and password"
    assert "Invalid Session" in az.post("/manager", action="create", name="x", description="d").text
    assert az.login()  # login is never given a session fault
    _faults(sandbox, rate=0.0)
    # the faulted upload was not applied
    assert az.get("/manager", ajax="fetchprojectflows", project="sess").json()["flows"] == []


def test_faulted_upload_is_not_applied(sandbox: SandboxLike, az: Az) -> None:
    az.create("atomic")
    _faults(sandbox, rate=1.0, kinds=["http500"])
    assert az.upload("atomic", chain_flows(2)).status_code == 500
    _faults(sandbox, rate=0.0)
    assert az.flows("atomic") == []
    assert az.upload("atomic", chain_flows(2)).json()["version"] == "1"


def _sequence(sb: SandboxLike, seed: int) -> list[int]:
    sb.server.controls.set_faults(rate=0.5, seed=seed, kinds=["http500", "http503"])
    az = Az(sb.url)
    az.session_id = sb.server.controls.open_session("azkaban")
    return [az.get("/index", ajax="fetchallprojects").status_code for _ in range(30)]


def test_same_seed_same_faults(sandbox_factory: Callable[..., SandboxLike]) -> None:
    first, second = sandbox_factory(), sandbox_factory()
    seq = _sequence(first, 7)
    assert seq == _sequence(second, 7)
    assert {200, 500} <= set(seq) or {200, 503} <= set(seq)
    assert seq != _sequence(first, 8)


def test_fault_config_at_startup_and_validation(
    sandbox_factory: Callable[..., SandboxLike],
) -> None:
    sb = sandbox_factory(fault_rate=1.0, fault_kinds=("http502",))
    assert requests.get(sb.url + "/index", timeout=10).status_code == 502
    bad = requests.put(sb.url + "/_sandbox/faults", json={"kinds": ["meteor"]}, timeout=10)
    assert bad.status_code == 400
    assert "meteor" in bad.json()["error"]
    assert requests.get(sb.url + "/_sandbox/nothing", timeout=10).status_code == 404


def test_costs_control_slows_uploads(sandbox: SandboxLike, az: Az) -> None:
    az.create("costly")
    reply = requests.post(
        sandbox.url + "/_sandbox/costs", json={"base_ms": 200, "per_flow_ms": 10}, timeout=10
    )
    assert reply.json() == {"base_ms": 200.0, "per_flow_ms": 10.0, "per_mib_ms": 0.0}
    start = time.monotonic()
    az.upload("costly", chain_flows(10))
    assert time.monotonic() - start >= 0.3


def test_stats_counts_requests_and_uploads(sandbox: SandboxLike, az: Az) -> None:
    az.create("counted")
    az.upload("counted", chain_flows(2))
    stats = sandbox.server.stats()
    assert stats["uploads"]["ok"] == 1 and stats["uploads"]["flows"] == 2
    assert stats["requests"]["POST /manager upload"] == 1
    assert stats["projects"] == 1

"""32 concurrent clients lose nothing; uploads of one project persist one after another."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from conformance import unique
from sandbox_client import Az, SandboxLike
from sandbox_zips import chain_flows

CLIENTS = 32


def _client_work(url: str, index: int) -> tuple[str, list[str], list[str]]:
    az = Az(url)
    az.login()
    name = f"conc{index:02d}"
    assert az.create(name)["status"] == "success"
    versions = [az.upload(name, chain_flows(index % 5 + 1)).json()["version"] for _ in range(3)]
    return name, versions, az.flows(name)


@pytest.mark.fresh_server
@pytest.mark.sandbox_only("reads upload counters of /_sandbox/stats")
def test_32_concurrent_clients_lose_nothing(sandbox: SandboxLike) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda i: _client_work(sandbox.url, i), range(CLIENTS)))
    for index, (name, versions, flows) in enumerate(results):
        assert versions == ["1", "2", "3"], name
        assert len(flows) == index % 5 + 1
    az = Az(sandbox.url)
    az.login()
    projects = az.get("/index", ajax="fetchallprojects").json()["projects"]
    assert sorted(p["projectName"] for p in projects) == [f"conc{i:02d}" for i in range(CLIENTS)]
    assert sandbox.server.stats()["uploads"]["ok"] == 3 * CLIENTS


@pytest.mark.sandbox_only("widens the persist window with the upload cost model")
def test_parallel_uploads_to_one_project_get_distinct_versions(sandbox: SandboxLike) -> None:
    az = Az(sandbox.url)
    az.login()
    az.create("shared")
    sandbox.server.controls.set_costs(base_ms=20)  # widen the persist window
    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda i: az.upload("shared", chain_flows(i % 3 + 1)), range(16)))
    versions = sorted(int(r.json()["version"]) for r in replies)
    assert versions == list(range(1, 17))
    meta = az.get("/index", ajax="fetchallprojects").json()["projects"][0]
    assert meta["projectName"] == "shared"


def test_concurrent_creates_of_one_name_admit_exactly_one(az: Az) -> None:
    tag = unique("")
    names = [f"Race{tag}", f"race{tag}", f"RACE{tag}", f"rAce{tag}"] * 4
    with ThreadPoolExecutor(len(names)) as pool:
        replies = list(pool.map(az.create, names))
    assert sum(r["status"] == "success" for r in replies) == 1
    assert all(
        r == {"status": "error", "message": "Project already exists."}
        for r in replies
        if r["status"] != "success"
    )

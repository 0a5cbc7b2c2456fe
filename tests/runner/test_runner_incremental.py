"""Nightly runs touch only what drifted: unchanged projects are not uploaded again."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import requests
from runner_helpers import fast_options, small_spec

from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.report import build_report
from azkaban_seeder.runner import apply
from azkaban_seeder.verify import verify


def _actions(result: Any) -> dict[str, str]:
    return {p.project: p.action for shard in result.shards for p in shard.projects}


def _hand_upload(url: str, project: str) -> None:
    """Someone re-uploads a project by hand: same flow names, other content, other file."""
    with requests.Session() as http:
        http.post(f"{url}/", data={"action": "login", "username": "azkaban", "password": "azkaban"})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for i in range(4, 8):
                archive.writestr(f"flow_{i:06d}.job", "type=command\ncommand=echo by hand\n")
        reply = http.post(
            f"{url}/manager",
            data={"ajax": "upload", "project": project},
            files={"file": ("hotfix.zip", buffer.getvalue(), "application/zip")},
        )
        assert "version" in reply.json(), reply.text


def test_an_unchanged_environment_is_not_uploaded_again_and_drift_is_repaired(
    settings: ConnectionSettings, sandbox: Any, prefix: str
) -> None:
    spec = small_spec(prefix)  # 6 projects of 4 flows
    options = fast_options(2)
    first = apply(spec, settings, options)
    assert set(_actions(first).values()) == {"uploaded"}

    second = apply(spec, settings, options)
    assert set(_actions(second).values()) == {"skipped"}
    totals = build_report(spec, second.shards, None, 1.0).totals
    assert (totals.projects_uploaded, totals.projects_skipped) == (0, 6)

    _hand_upload(sandbox.url, f"{prefix}_00001")
    with AzkabanClient(settings) as client:
        client.delete_project(f"{prefix}_00004")
    third = apply(spec, settings, options)
    changed = {name: action for name, action in _actions(third).items() if action != "skipped"}
    assert changed == {f"{prefix}_00001": "repaired", f"{prefix}_00004": "uploaded"}
    assert verify(spec, settings, plan_projects(spec)).ok


def test_force_uploads_every_project_again(settings: ConnectionSettings, prefix: str) -> None:
    spec = small_spec(prefix, flow_count=8)
    apply(spec, settings, fast_options(1))
    again = apply(spec, settings, fast_options(1, force=True))
    assert set(_actions(again).values()) == {"repaired"}


def _downloads(sandbox: Any) -> int:
    calls = sandbox.server.stats()["calls"]
    return sum(
        n for call, n in calls.items() if call.startswith("GET /manager") and "download" in call
    )


def test_projects_not_on_the_server_are_created_without_a_download_check(
    settings: ConnectionSettings, sandbox: Any, prefix: str
) -> None:
    # One project list per shard replaces a download per new project: on a fresh server
    # there is nothing to compare with.
    spec = small_spec(prefix)  # 6 projects of 4 flows
    options = fast_options(2)
    sandbox.server.controls.reset_stats()
    first = apply(spec, settings, options)
    assert set(_actions(first).values()) == {"uploaded"}
    assert _downloads(sandbox) == 0

    # Once they exist, every project is compared (and skipped): one download each.
    with AzkabanClient(settings) as client:
        client.delete_project(f"{prefix}_00002")
    sandbox.server.controls.reset_stats()
    second = apply(spec, settings, options)
    actions = _actions(second)
    assert actions.pop(f"{prefix}_00002") == "uploaded"
    assert set(actions.values()) == {"skipped"}
    assert _downloads(sandbox) == 5

"""The Airflow side as its users live in it: the UI in a real Chromium, end to end.

Against the embedded stack (sandbox + api-server + scheduler + dag-processor + triggerer):
log in, read the on-demand DAG's Trigger form field by field, trigger 500 flows from it, open
the run's report page from its *Run report* link and compare what it shows with the sandbox
(counted with plain requests) and with the report file, then tear the environment down from
the teardown form: refused without the confirmation, done with it.

Needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``) and Playwright for
Python; ``playwright install`` is never needed (the browser is the system's). Screenshots of
every step go to ``var/browser-artifacts/`` (paths printed; ``pytest -s`` shows them).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from e2e_support import (
    USER,
    password_for,
    private_sandbox,
    sandbox_stack,
    task_logs,
)

from azkaban_airflow.params import rebuild_params
from azkaban_devstack import EmbeddedAirflow
from azkaban_sandbox.server import SandboxServer

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "browser-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REBUILD, NIGHTLY, TEARDOWN = "azkaban_env_rebuild", "azkaban_env_nightly", "azkaban_env_teardown"
PREFIX = "uiweb"
#: What the test types into the form: 500 flows in 10 projects, 2 shards of 5 projects.
TYPED = {"flow_count": 500, "flows_per_project": 50, "projects_per_shard": 5, "processes": 2}
RUN_TIMEOUT = 240.0
UI_TIMEOUT_MS = 30_000

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not installed at /usr/bin/chromium "
        "(apt-get install -y chromium); .ci/run installs it when apt is available",
    ),
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


class Steps:
    """Numbered screenshots under var/browser-artifacts/, one per step."""

    def __init__(self, directory: Path) -> None:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        self.directory = directory
        self.count = 0
        self.saved: list[Path] = []

    def shot(self, page: Any, name: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.saved.append(path)
        print(f"screenshot: {path}")
        return path


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with private_sandbox(tmp_path_factory.mktemp("sandbox")) as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedAirflow]:
    airflow = sandbox_stack(tmp_path_factory.mktemp("airflow"), sandbox.url)
    with airflow:
        for dag_id in (REBUILD, NIGHTLY, TEARDOWN):
            airflow.client.wait_for_dag(dag_id, timeout=180)
        yield airflow


@pytest.fixture(scope="module")
def steps() -> Steps:
    return Steps(ARTIFACTS)


@pytest.fixture(scope="module")
def page(stack: EmbeddedAirflow, steps: Steps) -> Iterator[Any]:
    """A logged-in browser page (simple auth manager, user admin)."""
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(UI_TIMEOUT_MS)
        tab = context.new_page()
        tab.goto(stack.base_url + "/", wait_until="load")
        tab.get_by_label("Username").fill("admin")
        tab.get_by_label("Password").fill(stack.admin_password())
        steps.shot(tab, "login")
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url(stack.base_url + "/")
        tab.get_by_text("Dags").first.wait_for()
        steps.shot(tab, "home")
        try:
            yield tab
        finally:
            context.close()
            browser.close()


# --------------------------------------------------------------------------- helpers


def _open_trigger_form(page: Any, stack: EmbeddedAirflow, dag_id: str) -> Any:
    page.goto(f"{stack.base_url}/dags/{dag_id}", wait_until="load")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"Trigger Dag - {dag_id}").wait_for()
    return dialog


def _section(dialog: Any, title: str) -> Any:
    """Open the form section ``title`` (an accordion item) and return its region."""
    trigger = dialog.locator(f'button[id$="trigger:{title}"]')
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()
    region = dialog.locator(f'[role=region][aria-labelledby$="trigger:{title}"]')
    region.locator("[data-scope=field][data-part=root]").first.wait_for()
    return region


def _fields(region: Any) -> dict[str, str]:
    """Label -> description of every field in a form section, as the page shows them."""
    shown = {}
    for field in region.locator("[data-scope=field][data-part=root]").all():
        label = field.locator("label").first.inner_text().replace("*", "").strip()
        shown[label] = field.locator("[data-part=helper-text]").first.inner_text().strip()
    return shown


def _type(region: Any, name: str, value: object) -> None:
    box = region.locator(f"input[name=element_{name}]")
    box.fill(str(value))
    box.press("Tab")  # the form applies (and clamps) a number when the field loses focus


def _submit(page: Any, dialog: Any, dag_id: str) -> str:
    """Click Trigger; returns the new run's id from the form's POST reply."""

    def posted(reply: Any) -> bool:
        return reply.request.method == "POST" and reply.url.endswith(f"/dags/{dag_id}/dagRuns")

    with page.expect_response(posted) as answer:
        dialog.get_by_role("button", name="Trigger").click()
    reply = answer.value
    assert reply.status == 200, reply.text()
    return str(reply.json()["dag_run_id"])


def _on_sandbox(sandbox: SandboxServer, prefix: str) -> dict[str, int]:
    """Project -> flow count on the sandbox, read with plain requests (not our client)."""
    with requests.Session() as http:
        login = {"action": "login", "username": USER, "password": password_for(sandbox.url)}
        http.post(f"{sandbox.url}/", data=login, timeout=10).raise_for_status()
        listed = http.get(f"{sandbox.url}/index", params={"ajax": "fetchallprojects"}, timeout=10)
        names = [p["projectName"] for p in listed.json()["projects"]]
        counts = {}
        for name in (n for n in names if n.startswith(prefix + "_")):
            reply = http.get(
                f"{sandbox.url}/manager",
                params={"ajax": "fetchprojectflows", "project": name},
                timeout=10,
            )
            counts[name] = len(reply.json()["flows"])
        return counts


def _number(page: Any, selector: str) -> int:
    return int(page.locator(selector).first.inner_text().replace(",", "").strip())


def _run_page(stack: EmbeddedAirflow, dag_id: str, run_id: str, task_id: str) -> str:
    return f"{stack.base_url}/dags/{dag_id}/runs/{quote(run_id, safe='')}/tasks/{task_id}"


# --------------------------------------------------------------------------- the journey

STATE: dict[str, str] = {}


def test_the_trigger_form_shows_every_field_with_its_label_description_and_section(
    page: Any, stack: EmbeddedAirflow, steps: Steps
) -> None:
    expected: dict[str, dict[str, str]] = {}
    for param in rebuild_params(4).values():
        section = expected.setdefault(param.schema["section"], {})
        section[param.schema["title"]] = str(param.description)
    dialog = _open_trigger_form(page, stack, REBUILD)
    steps.shot(page, "trigger-form")
    for title, fields in expected.items():
        region = _section(dialog, title)
        steps.shot(page, f"form-section-{title.lower().replace(' ', '-')}")
        assert _fields(region) == fields, title
    page.keyboard.press("Escape")


def test_a_rebuild_triggered_from_the_form_and_its_report_page(
    page: Any, stack: EmbeddedAirflow, sandbox: SandboxServer, steps: Steps
) -> None:
    dialog = _open_trigger_form(page, stack, REBUILD)
    size = _section(dialog, "Size and sharding")
    for name in ("flow_count", "flows_per_project", "projects_per_shard"):
        _type(size, name, TYPED[name])
    _type(size, "prefix", PREFIX)
    _type(_section(dialog, "Run"), "processes", TYPED["processes"])
    steps.shot(page, "form-filled")
    run_id = _submit(page, dialog, REBUILD)
    STATE["run_id"] = run_id

    assert stack.wait(REBUILD, run_id, timeout=RUN_TIMEOUT) == "success"
    # A manual run of the on-demand DAG leaves the nightly one paused.
    assert stack.client.dag(NIGHTLY)["is_paused"] is True
    page.goto(_run_page(stack, REBUILD, run_id, "report") + "/details", wait_until="load")
    link = page.get_by_role("link", name="Run report")
    link.wait_for()
    steps.shot(page, "report-task-details")
    href = link.get_attribute("href")
    assert href == f"{stack.base_url}/azkaban-seeder/reports/{REBUILD}/{quote(run_id, safe='')}"

    page.goto(href, wait_until="load")
    steps.shot(page, "report-page")
    report_file = stack.home / "reports" / (re.sub(r"[^A-Za-z0-9._-]", "_", run_id) + ".json")
    stored = json.loads(report_file.read_text())
    shown = {key: _number(page, f'[data-total="{key}"]') for key in stored["totals"]}
    assert shown == stored["totals"]
    on_server = _on_sandbox(sandbox, PREFIX)
    assert shown["flows_uploaded"] == sum(on_server.values()) == TYPED["flow_count"]
    assert shown["projects_uploaded"] == len(on_server) == 10
    assert page.locator("tr[data-shard]").count() == len(stored["shards"]) == 2
    assert page.get_by_text("OK").first.is_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report JSON").click()
    assert json.loads(Path(download.value.path()).read_text()) == stored

    page.goto(f"{stack.base_url}/plugin/azkaban-reports", wait_until="load")
    page.frame_locator("iframe").get_by_role("link", name=run_id).wait_for()
    steps.shot(page, "reports-menu")


def test_teardown_from_the_form_is_refused_without_the_confirmation_then_deletes(
    page: Any, stack: EmbeddedAirflow, sandbox: SandboxServer, steps: Steps
) -> None:
    assert len(_on_sandbox(sandbox, PREFIX)) == 10

    dialog = _open_trigger_form(page, stack, TEARDOWN)
    form = _section(dialog, "Tear down")
    assert dialog.get_by_role("button", name="Trigger").is_disabled()  # no prefix typed yet
    _type(form, "prefix", PREFIX)
    form.locator('[id="switch:element_dry_run"]').click()  # dry run off, no confirmation
    steps.shot(page, "teardown-unconfirmed")
    refused = _submit(page, dialog, TEARDOWN)
    assert stack.wait(TEARDOWN, refused, timeout=RUN_TIMEOUT) == "failed"
    page.goto(_run_page(stack, TEARDOWN, refused, "teardown"), wait_until="load")
    page.get_by_text("refused to delete", exact=False).first.wait_for()
    steps.shot(page, "teardown-refused")
    log = "".join(task_logs(stack.home / "logs", TEARDOWN, refused).values())
    assert "Confirm prefix (confirm_prefix) is '', not the prefix; fix: type uiweb" in log
    assert len(_on_sandbox(sandbox, PREFIX)) == 10

    dialog = _open_trigger_form(page, stack, TEARDOWN)
    form = _section(dialog, "Tear down")
    _type(form, "prefix", PREFIX)
    _type(form, "confirm_prefix", PREFIX)
    form.locator('[id="switch:element_dry_run"]').click()
    steps.shot(page, "teardown-confirmed")
    confirmed = _submit(page, dialog, TEARDOWN)
    assert stack.wait(TEARDOWN, confirmed, timeout=RUN_TIMEOUT) == "success"
    page.goto(_run_page(stack, TEARDOWN, confirmed, "teardown"), wait_until="load")
    page.get_by_text("deleted 10 project(s)", exact=False).first.wait_for()
    steps.shot(page, "teardown-deleted")
    assert _on_sandbox(sandbox, PREFIX) == {}
    print("screenshots:\n" + "\n".join(str(p) for p in steps.saved))

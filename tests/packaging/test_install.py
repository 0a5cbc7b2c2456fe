"""The two installs README.md promises, each in a fresh virtualenv built from a copy.

* base (``pip install azkaban-seeder``): no Airflow at all, yet ``azkaban-sandbox`` and
  ``azkaban-seeder apply`` / ``verify`` rebuild and check 10,000 flows exactly;
* into an existing Airflow (``pip install 'azkaban-seeder[airflow]'`` where Airflow 3.3.0 is
  installed): Airflow stays 3.3.0, the DAGs in dags/ parse without import errors, and the
  plugin and the ``azkaban`` connection type register through entry points with an empty
  plugins folder.

The package is built from a copy of the sources in a temporary folder, so nothing is written
into the checkout and no build artefact of the dev tree leaks in. uv (on PATH or
``.bootstrap/bin/uv``) makes the virtualenvs; without it, ``python -m venv`` and pip.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_VERSION = "3.3.0"
FLOWS = 10_000
INSTALL_TIMEOUT = 600
#: What the package build needs (pyproject's wheel packages, readme and sdist includes).
SOURCES = ("pyproject.toml", "README.md", "include", "plugins", "dags", "docs")
RESULT_MARK = "RESULT "


def _uv() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    bootstrap = ROOT / ".bootstrap" / "bin" / "uv"
    return str(bootstrap) if bootstrap.exists() else None


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that points at the dev venv or tree."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"} and not k.startswith("AIRFLOW")
    }
    env.update(extra)
    return env


def _run(
    args: list[str], cwd: Path, timeout: float, **env: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args,
        check=False,
        cwd=cwd,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


class Venv:
    """A fresh virtualenv; ``install`` uses uv when there is one, else pip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.uv = _uv()
        if self.uv:
            _run([self.uv, "venv", "-q", "--python", sys.executable, str(path)], path.parent, 120)
        else:
            _run([sys.executable, "-m", "venv", str(path)], path.parent, 120)

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def bin(self, name: str) -> str:
        return str(self.path / "bin" / name)

    def install(self, *requirements: str) -> None:
        if self.uv:
            args = [self.uv, "pip", "install", "-q", "--python", self.python, *requirements]
        else:
            args = [self.python, "-m", "pip", "install", "-q", *requirements]
        _run(args, self.path.parent, INSTALL_TIMEOUT)

    def query(self, code: str, cwd: Path, **env: str) -> Any:
        """Run ``code`` in this venv; it prints ``RESULT <json>`` as its last such line."""
        out = _run([self.python, "-c", code], cwd, 300, **env).stdout
        lines = [line for line in out.splitlines() if line.startswith(RESULT_MARK)]
        assert lines, out[-3000:]
        return json.loads(lines[-1][len(RESULT_MARK) :])


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the package is built from (no caches, no build output)."""
    dest = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, dest / name, ignore=ignore)
        else:
            shutil.copy2(path, dest / name)
    return dest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"azkaban-sandbox exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is serving
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no HTTP answer from {url} within {seconds}s")


@pytest.fixture
def sandbox_of(tmp_path: Path) -> Iterator[Any]:
    """Starts a venv's ``azkaban-sandbox`` on a free port; stops it after the test."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(venv: Venv) -> str:
        port = _free_port()
        log = (tmp_path / "sandbox.log").open("wb")
        proc = subprocess.Popen(
            [venv.bin("azkaban-sandbox"), "--port", str(port), "--data-dir", str(tmp_path / "sb")],
            cwd=tmp_path,
            env=_clean_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        _wait_for_http(url + "/", proc)
        return url

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


BASE_PROBE = f"""
import importlib.metadata as m, importlib.util as u, json
dists = sorted(d.metadata["Name"] for d in m.distributions())
print({RESULT_MARK!r} + json.dumps({{
    "airflow": u.find_spec("airflow") is not None,
    "airflow_dists": [d for d in dists if d.lower().startswith("apache-airflow")],
    "modules": {{n: u.find_spec(n) is not None for n in (
        "azkaban_seeder", "azkaban_sandbox", "azkaban_airflow", "azkaban_devstack")}},
}}))
"""


@pytest.mark.timeout(420)
def test_base_install_has_no_airflow_and_rebuilds_10000_flows(
    tmp_path: Path, source: Path, sandbox_of: Any
) -> None:
    started = time.monotonic()
    venv = Venv(tmp_path / "venv")
    venv.install(str(source))
    installed = time.monotonic()

    probe = venv.query(BASE_PROBE, tmp_path)
    assert probe["airflow"] is False and probe["airflow_dists"] == []
    # The wheel ships the product, the sandbox and the glue; the dev launcher stays out.
    assert probe["modules"] == {
        "azkaban_seeder": True,
        "azkaban_sandbox": True,
        "azkaban_airflow": True,
        "azkaban_devstack": False,
    }

    url = sandbox_of(venv)
    common = ["--flow-count", str(FLOWS), "--url", url, "--user", "azkaban", "--json"]
    password = {"AZKABAN_PASSWORD": "azkaban"}
    applied = _run(
        [venv.bin("azkaban-seeder"), "apply", *common, "--processes", "2", "--no-verify"],
        tmp_path,
        300,
        **password,
    )
    totals = json.loads(applied.stdout)["totals"]
    assert (totals["flows_uploaded"], totals["projects_failed"]) == (FLOWS, 0), totals

    verified = _run([venv.bin("azkaban-seeder"), "verify", *common], tmp_path, 120, **password)
    report = json.loads(verified.stdout)
    assert report["ok"] is True
    assert report["expected_flows"] == report["present"] == FLOWS
    assert report["missing_count"] == 0 and report["unexpected_count"] == 0
    print(
        f"\nbase install {installed - started:.1f}s, "
        f"apply + verify {time.monotonic() - installed:.1f}s"
    )


AIRFLOW_PROBE = f"""
import importlib.metadata as m, json, warnings
warnings.simplefilter("ignore")
from airflow.dag_processing.dagbag import DagBag
from airflow import plugins_manager
from airflow.providers_manager import ProvidersManager
import os
bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
print({RESULT_MARK!r} + json.dumps({{
    "airflow": m.version("apache-airflow"),
    "airflow_core": m.version("apache-airflow-core"),
    "import_errors": {{k: str(v)[-500:] for k, v in bag.import_errors.items()}},
    "dags": sorted(bag.dag_ids),
    "plugins": sorted(str(p.get("name")) for p in plugins_manager.get_plugin_info()),
    "providers": sorted(ProvidersManager().providers),
}}))
"""


@pytest.mark.timeout(600)
def test_airflow_extra_keeps_the_installed_airflow_and_the_dags_parse(
    tmp_path: Path, source: Path
) -> None:
    started = time.monotonic()
    venv = Venv(tmp_path / "venv")
    venv.install(f"apache-airflow=={AIRFLOW_VERSION}")
    with_airflow = time.monotonic()
    venv.install(f"{source}[airflow]")
    installed = time.monotonic()

    empty_plugins = tmp_path / "plugins"
    empty_plugins.mkdir()
    probe = venv.query(
        AIRFLOW_PROBE,
        tmp_path,
        AIRFLOW_HOME=str(tmp_path / "airflow-home"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(source / "dags"),
        # No plugins folder: the plugin and the provider come through entry points.
        AIRFLOW__CORE__PLUGINS_FOLDER=str(empty_plugins),
    )

    assert (probe["airflow"], probe["airflow_core"]) == (AIRFLOW_VERSION, AIRFLOW_VERSION)
    assert probe["import_errors"] == {}
    assert {"azkaban_env_rebuild", "azkaban_env_teardown"} <= set(probe["dags"])
    assert "azkaban_seeder" in probe["plugins"]
    assert "azkaban-seeder" in probe["providers"]
    print(
        f"\nairflow {AIRFLOW_VERSION} {with_airflow - started:.1f}s, "
        f"[airflow] extra {installed - with_airflow:.1f}s, "
        f"parse {time.monotonic() - installed:.1f}s"
    )

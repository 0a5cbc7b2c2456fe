"""The PyPI client azkaban-cli (0.9.2), unchanged, against the sandbox, from a throwaway venv.

azkaban-cli pins requests<2.30, so it cannot live in the project venv; the test builds its own
venv (about 10 s) and skips, saying why, when the package cannot be installed (e.g. offline).
It pins the login-page fix: the client spots an expired session only by the exact line
`  <script type="text/javascript" src="/js/azkaban/view/login.js"></script>`.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest
from sandbox_client import SandboxLike

pytestmark = [
    pytest.mark.slow,
    pytest.mark.sandbox_only("checks the sandbox against a third-party client"),
]

PACKAGE = "azkaban-cli==0.9.2"
SCRIPT = """
import sys
from azkaban_cli.azkaban import Azkaban
from azkaban_cli.exceptions import CreateError, SessionError

url, folder = sys.argv[1], sys.argv[2]
az = Azkaban()
az.login(url, "azkaban", "azkaban")
az.create("clipro", "made by azkaban-cli")
try:
    az.create("clipro", "again")
except CreateError as exc:
    print("create refused:", exc)
az.upload(folder, project="clipro")
print("flows:", sorted(f["flowId"] for f in az.fetch_flows("clipro")["flows"]))
stale = Azkaban()  # a fresh HTTP session: no session cookie from the login above
stale.set_logged_session(url, "azkaban", "bogus-session-id")
try:
    stale.create("cliexpired", "made with a stale session")
except SessionError:
    print("session expired")
"""


@pytest.fixture(scope="module")
def cli_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with azkaban-cli installed (skips if pip cannot get it)."""
    root = tmp_path_factory.mktemp("azkaban-cli-venv")
    venv.create(root, with_pip=True)
    python = root / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", PACKAGE],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if install.returncode != 0:
        pytest.skip(f"cannot install {PACKAGE}: {install.stderr.strip()[-300:]}")
    return python


def test_azkaban_cli_lifecycle_and_session_expiry(
    cli_python: Path, sandbox: SandboxLike, tmp_path: Path
) -> None:
    folder = tmp_path / "clipro"
    folder.mkdir()
    (folder / "extract.job").write_text("type=command\ncommand=echo extract\n")
    (folder / "load.job").write_text("type=command\ncommand=echo load\ndependencies=extract\n")
    run = subprocess.run(
        [str(cli_python), "-c", SCRIPT, sandbox.url, str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "create refused: Project already exists.",
        "flows: ['load']",
        "session expired",
    ]
    assert sys.executable != str(cli_python)

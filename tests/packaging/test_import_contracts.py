"""The import contracts in .importlinter hold today and catch a forbidden import.

Each case copies include/, plugins/ and .importlinter to a temporary tree, adds one import
that breaks a rule, and runs ``lint-imports`` there (``PYTHONPATH`` points at the copy, so
the checker reads the copy, not the checkout): it must fail and name the broken contract.
The unmodified copy must pass, which also proves the copy is what gets checked.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# (file to edit, line to append, id of the contract it breaks)
VIOLATIONS = {
    "product imports the sandbox": (
        "include/azkaban_seeder/plan.py",
        "import azkaban_sandbox",
        "product-stands-alone",
    ),
    "product imports airflow": (
        "include/azkaban_seeder/verify.py",
        "import airflow",
        "product-stands-alone",
    ),
    "sandbox imports the spec": (
        "include/azkaban_sandbox/__init__.py",
        "from azkaban_seeder import spec",
        "sandbox-uses-only-loaders",
    ),
    "sandbox imports a runner submodule": (
        "include/azkaban_sandbox/__init__.py",
        "from azkaban_seeder.runner import results",
        "sandbox-uses-only-loaders",
    ),
    "loaders import the spec": (
        "include/azkaban_seeder/loaders/__init__.py",
        "from azkaban_seeder import spec",
        "product-layers",
    ),
    "flows import the runner": (
        "include/azkaban_seeder/flows/__init__.py",
        "from azkaban_seeder import runner",
        "product-layers",
    ),
    "glue imports the dev launcher": (
        "plugins/azkaban_airflow/__init__.py",
        "import azkaban_devstack",
        "airflow-glue-stays-glue",
    ),
}


def contract_names() -> dict[str, str]:
    """Contract id -> its ``name`` line, read from .importlinter."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    prefix = "importlinter:contract:"
    return {
        section[len(prefix) :]: parser[section]["name"]
        for section in parser.sections()
        if section.startswith(prefix)
    }


def copy_tree(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("include", "plugins"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    shutil.copy2(CONFIG, dest / ".importlinter")
    return dest


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree / "include"), str(tree / "plugins")]),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / ".importlinter")],
        check=False,
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def flat(text: str) -> str:
    """Whitespace collapsed: the checker wraps long contract names over lines."""
    return " ".join(text.split())


@pytest.fixture(scope="module", autouse=True)
def _need_lint_imports() -> None:
    if not LINT_IMPORTS.exists():
        pytest.skip("lint-imports is not installed next to this interpreter")


def test_the_contracts_hold_on_an_unmodified_copy(tmp_path: Path) -> None:
    result = lint_imports(copy_tree(tmp_path))

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    count = len(contract_names())
    assert f"Contracts: {count} kept, 0 broken." in result.stdout


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, case: str) -> None:
    relative, line, contract = VIOLATIONS[case]
    tree = copy_tree(tmp_path)
    module = tree / relative
    module.write_text(module.read_text() + f"\n{line}  # deliberate violation\n")

    result = lint_imports(tree)

    assert result.returncode != 0, result.stdout[-3000:]
    output = flat(result.stdout)
    name = flat(contract_names()[contract])
    assert f"{name} BROKEN" in output, output[-3000:]

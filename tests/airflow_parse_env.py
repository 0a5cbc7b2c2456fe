"""Airflow configuration for parsing the DAGs in-process (no DB, no ~/airflow).

Imported by the conftest of every test folder that imports ``airflow``: it must run before
that import, because Airflow reads its configuration once, at import.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
PLUGINS = ROOT / "plugins"

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(PLUGINS)
# Airflow puts the plugins folder on sys.path in its components; do the same here.
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

"""``azkaban_env_rebuild``: rebuild an Azkaban test environment on demand (the Trigger form).

Declaration only: the tasks and the form come from `azkaban_airflow.dag_factory`, shared
with the nightly rebuild (``azkaban_env_nightly.py``). Deployment settings are read from the
environment only (no Variable/Connection lookups, no I/O).
"""

from __future__ import annotations

from azkaban_airflow.dag_factory import build_rebuild_dag, on_demand
from azkaban_airflow.settings import load_settings

SETTINGS = load_settings()

dag = build_rebuild_dag(on_demand(SETTINGS), SETTINGS)

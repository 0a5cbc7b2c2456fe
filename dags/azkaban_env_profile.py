"""``azkaban_env_profile``: profile a production Azkaban read-only into a profile file.

Declaration only (see `azkaban_airflow.dag_factory.build_profile_dag`): manual, on its own
Connection (``AZKABAN_SEEDER_PROFILE_CONN_ID``, default ``azkaban_prod``); the file goes to the
``out`` param or ``$AZKABAN_SEEDER_REPORT_DIR/profiles/<run id>.json``.
"""

from __future__ import annotations

from azkaban_airflow.dag_factory import build_profile_dag
from azkaban_airflow.settings import load_settings

SETTINGS = load_settings()

dag = build_profile_dag(SETTINGS)

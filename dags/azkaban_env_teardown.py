"""``azkaban_env_teardown``: delete the projects of a prefix that azkaban-seeder built.

Declaration only (see `azkaban_airflow.dag_factory.build_teardown_dag`): manual, the prefix
must be typed, a dry run by default, a real delete needs the prefix typed twice.
"""

from __future__ import annotations

from azkaban_airflow.dag_factory import build_teardown_dag
from azkaban_airflow.settings import load_settings

SETTINGS = load_settings()

dag = build_teardown_dag(SETTINGS)

"""``azkaban_env_nightly``: the scheduled rebuild, with the deployment's fixed params.

Declaration only (tasks from `azkaban_airflow.dag_factory`, as for ``azkaban_env_rebuild``).
``AZKABAN_SEEDER_NIGHTLY_CRON`` (default ``0 2 * * *``, UTC) and ``AZKABAN_SEEDER_NIGHTLY_CONF``
(JSON params) are read and checked here; a bad value is this file's import error, naming the
variable and the fix. Created paused: unpause it to start the schedule.
"""

from __future__ import annotations

from azkaban_airflow.dag_factory import build_rebuild_dag, nightly
from azkaban_airflow.settings import load_nightly_settings, load_settings

SETTINGS = load_settings()
NIGHTLY = load_nightly_settings()

dag = build_rebuild_dag(nightly(SETTINGS, NIGHTLY), SETTINGS)

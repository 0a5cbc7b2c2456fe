"""Configure Airflow for in-process parsing before any test here imports ``airflow``."""

from __future__ import annotations

import airflow_parse_env  # noqa: F401  (sets the Airflow environment on import)

"""azkaban-seeder: plan, build and upload Azkaban projects at production scale.

Nothing in this package imports Airflow: the DAGs, the CLI, multiprocessing
workers and the tests all share it.
"""

from __future__ import annotations

__version__ = "0.1.0"

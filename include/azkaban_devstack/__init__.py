"""Run a local Airflow 3 stack (api-server, scheduler, dag-processor) as subprocesses.

No Airflow import happens here: the components are started as ``airflow ...`` commands from
this interpreter's environment and driven through Airflow's public REST API (``/api/v2``).
``python -m azkaban_devstack`` is the project's main job (``make run``).
"""

from __future__ import annotations

from azkaban_devstack.rest import AirflowApiError, AirflowRestClient
from azkaban_devstack.stack import EmbeddedAirflow, StackError, free_port

__all__ = [
    "AirflowApiError",
    "AirflowRestClient",
    "EmbeddedAirflow",
    "StackError",
    "free_port",
]

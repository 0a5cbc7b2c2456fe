"""A small client for Airflow 3's public REST API (``/api/v2``) with the simple auth manager.

Only the calls the embedded job and the end-to-end tests need. Every request carries a timeout;
nothing is retried except the readiness polls, which are explicitly bounded by the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

logger = logging.getLogger(__name__)

FINISHED_RUN_STATES = frozenset({"success", "failed"})
REQUEST_TIMEOUT = 30.0
PAGE_SIZE = 100


class AirflowApiError(RuntimeError):
    """A REST call answered with an error status; ``status`` and ``body`` tell which."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{method} {path} -> HTTP {status}: {body[:500]}")


def _q(value: str) -> str:
    # Run ids hold ':' and '+' (e.g. manual__2026-01-01T00:00:00+00:00): quote every byte.
    return quote(value, safe="")


class AirflowRestClient:
    """Talks to one api-server at ``base_url`` as ``username`` (bearer token from /auth/token)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._session = requests.Session()
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"AirflowRestClient({self.base_url!r}, user={self._username!r})"

    # ------------------------------------------------------------------ transport

    def token(self) -> str:
        """``POST /auth/token`` with ``{"username", "password"}``; reply ``access_token``."""
        if self._token is None:
            reply = self._session.post(
                f"{self.base_url}/auth/token",
                json={"username": self._username, "password": self._password},
                timeout=REQUEST_TIMEOUT,
            )
            if reply.status_code >= 400:
                raise AirflowApiError("POST", "/auth/token", reply.status_code, reply.text)
            self._token = str(reply.json()["access_token"])
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send ``method /api/v2{path}`` with the bearer token; return the decoded JSON reply."""
        headers = {"Authorization": f"Bearer {self.token()}"}
        reply = self._session.request(
            method,
            f"{self.base_url}/api/v2{path}",
            headers=headers,
            timeout=kwargs.pop("timeout", REQUEST_TIMEOUT),
            **kwargs,
        )
        if reply.status_code >= 400:
            raise AirflowApiError(method, path, reply.status_code, reply.text)
        if not reply.content:
            return None
        return reply.json()

    def get(self, path: str, *, authenticated: bool = True, **kwargs: Any) -> requests.Response:
        """``GET {base_url}{path}`` outside ``/api/v2`` (e.g. a plugin's page); the raw reply.

        ``authenticated=False`` sends no token (to check that a page refuses anonymous calls)."""
        headers = {"Authorization": f"Bearer {self.token()}"} if authenticated else {}
        headers.update(kwargs.pop("headers", {}))
        return self._session.get(
            f"{self.base_url}{path}",
            headers=headers,
            timeout=kwargs.pop("timeout", REQUEST_TIMEOUT),
            **kwargs,
        )

    def health(self) -> dict[str, Any]:
        """``GET /api/v2/monitor/health`` (no auth): ``metadatabase``, ``scheduler``,
        ``triggerer``, ``dag_processor``, each with a ``status``."""
        reply = self._session.get(f"{self.base_url}/api/v2/monitor/health", timeout=REQUEST_TIMEOUT)
        if reply.status_code >= 400:
            raise AirflowApiError("GET", "/monitor/health", reply.status_code, reply.text)
        return dict(reply.json())

    # ------------------------------------------------------------------ DAGs

    def dag(self, dag_id: str) -> dict[str, Any]:
        """``GET /api/v2/dags/{dag_id}``: the DAG record (``is_paused``, ``next_dagrun...``)."""
        return dict(self.request("GET", f"/dags/{_q(dag_id)}"))

    def import_errors(self) -> list[dict[str, Any]]:
        """``GET /api/v2/importErrors``: files the dag-processor could not import."""
        return list(self.request("GET", "/importErrors")["import_errors"])

    def wait_for_dag(self, dag_id: str, timeout: float, poll: float = 1.0) -> dict[str, Any]:
        """Poll ``GET /api/v2/dags/{dag_id}`` until the dag-processor has registered it.

        Fails early with the import error text when the file did not import.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.dag(dag_id)
            except AirflowApiError as exc:
                if exc.status != 404:
                    raise
            errors = self.import_errors()
            if errors:
                raise AirflowApiError("GET", "/importErrors", 200, str(errors))
            if time.monotonic() > deadline:
                raise TimeoutError(f"DAG {dag_id} not registered within {timeout:.0f}s")
            time.sleep(poll)

    def set_paused(self, dag_id: str, paused: bool) -> None:
        """``PATCH /api/v2/dags/{dag_id}`` with ``{"is_paused": ...}``."""
        self.request("PATCH", f"/dags/{_q(dag_id)}", json={"is_paused": paused})

    # ------------------------------------------------------------------ DAG runs

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """``POST /api/v2/dags/{dag_id}/dagRuns`` (manual run, no logical date); returns run id."""
        body = {"logical_date": None, "conf": conf or {}}
        reply = self.request("POST", f"/dags/{_q(dag_id)}/dagRuns", json=body)
        return str(reply["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """``GET /api/v2/dags/{dag_id}/dagRuns/{run_id}``."""
        return dict(self.request("GET", f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}"))

    def dag_runs(self, dag_id: str, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """``GET /api/v2/dags/{dag_id}/dagRuns`` filtered by ``state`` (first page)."""
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if states:
            params["state"] = list(states)
        return list(self.request("GET", f"/dags/{_q(dag_id)}/dagRuns", params=params)["dag_runs"])

    def set_run_state(self, dag_id: str, run_id: str, state: str) -> None:
        """``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}`` with ``{"state": ...}``."""
        path = f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}"
        self.request("PATCH", path, json={"state": state})

    def wait(
        self,
        dag_id: str,
        run_id: str,
        timeout: float,
        poll: float = 2.0,
        on_poll: Callable[[dict[str, Any]], None] | None = None,
    ) -> str:
        """Poll the run until it is ``success`` or ``failed``; returns that state.

        Raises ``TimeoutError`` after ``timeout`` seconds so a hung task can never hang the
        caller; ``on_poll`` sees every run record (progress reporting).
        """
        deadline = time.monotonic() + timeout
        while True:
            run = self.dag_run(dag_id, run_id)
            if on_poll is not None:
                on_poll(run)
            if run["state"] in FINISHED_RUN_STATES:
                return str(run["state"])
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"run {run_id} of {dag_id} still {run['state']} after {timeout:.0f}s"
                )
            time.sleep(poll)

    # ------------------------------------------------------------------ task instances

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """``GET /api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances``, every page."""
        path = f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances"
        found: list[dict[str, Any]] = []
        while True:
            page = self.request("GET", path, params={"limit": PAGE_SIZE, "offset": len(found)})
            items = list(page["task_instances"])
            found.extend(items)
            if not items or len(found) >= int(page["total_entries"]):
                return found

    def clear_task(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int | None = None,
        include_downstream: bool = True,
    ) -> list[dict[str, Any]]:
        """``POST /api/v2/dags/{dag_id}/clearTaskInstances`` for one task (or one map index).

        ``task_ids`` takes ``[task_id, map_index]`` pairs in Airflow 3; the downstream tasks
        (verify, report) are cleared too so the run re-evaluates, and the run goes back to queued.
        """
        target: str | list[Any] = task_id if map_index is None else [task_id, map_index]
        body = {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": [target],
            "only_failed": False,
            "include_downstream": include_downstream,
            "reset_dag_runs": True,
        }
        reply = self.request("POST", f"/dags/{_q(dag_id)}/clearTaskInstances", json=body)
        return list(reply["task_instances"])

    def xcom(
        self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1
    ) -> Any:
        """``GET .../taskInstances/{task_id}/xcomEntries/{key}?map_index=``; returns the value."""
        path = f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/{_q(task_id)}"
        path += f"/xcomEntries/{_q(key)}"
        return self.request("GET", path, params={"map_index": map_index})["value"]

    def asset_events(self, **filters: Any) -> list[dict[str, Any]]:
        """``GET /api/v2/assets/events`` (first page), filtered e.g. by ``source_dag_id`` and
        ``source_run_id``; each event has ``uri``, ``extra``, ``source_run_id``, ..."""
        params = {"limit": PAGE_SIZE, **filters}
        return list(self.request("GET", "/assets/events", params=params)["asset_events"])

    def extra_links(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> dict[str, str | None]:
        """``GET .../taskInstances/{task_id}/links?map_index=``: link name -> URL."""
        path = f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/{_q(task_id)}/links"
        reply = self.request("GET", path, params={"map_index": map_index})
        return dict(reply.get("extra_links", reply))

"""The report page inside Airflow: a FastAPI app the api-server mounts at ``/azkaban-seeder``.

How it is served: the plugin (`azkaban_airflow.plugin`) lists this app in
``AirflowPlugin.fastapi_apps``; the api-server's ``init_plugins`` mounts it at that prefix
(Airflow 3.3 refuses reserved prefixes such as ``/api/v2`` or ``/ui``), and the root
middlewares (the JWT cookie refresh among them) wrap it like every other route.

How it is protected: Airflow applies no authentication to a mounted plugin app, so every route
here resolves the caller exactly as the public REST API does, with Airflow's own functions:
``get_user`` (a bearer token, or the UI's ``_token`` cookie) -> 401 when missing or expired,
then, for a run's page, ``requires_access_dag("GET", DagAccessEntity.RUN)`` on the DAG in the
path -> 403 when the auth manager says no. A run that does not exist, or has no report file
yet, is a 404 with a message saying which. Airflow's security modules are imported only
inside the request (importing them costs seconds; the plugin also loads in other components).

Routes (under the prefix):

- ``GET /`` recent reports the caller may read (the *Azkaban reports* menu entry);
- ``GET /reports/{dag_id}/{run_id}`` the page (`report_page.render_report`);
- ``GET /reports/{dag_id}/{run_id}/report.json`` the report JSON, as a download;
- ``GET /reports/{dag_id}/{run_id}/likeness.png`` the likeness chart, when there is one.

Report files are read from ``AZKABAN_SEEDER_REPORT_DIR`` as the api-server sees it (the same
directory the report task writes to: a shared volume in a distributed deployment).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from azkaban_airflow import report_files
from azkaban_airflow.links import REPORT_APP_PREFIX
from azkaban_airflow.report_page import render_index, render_message, render_report

logger = logging.getLogger(__name__)

INDEX_SIZE = 50
_bearer = HTTPBearer(auto_error=False)


class AirflowGate:
    """What the app asks Airflow: who is calling, may they read a DAG's runs, does a run
    exist. Tests pass a stand-in to `create_app`; here every answer is Airflow's own."""

    async def user(self, request: Request, credentials: HTTPAuthorizationCredentials | None) -> Any:
        from airflow.api_fastapi.core_api.security import get_user

        return await get_user(request, None, credentials)

    def authorize_run(self, request: Request, user: Any, dag_id: str) -> None:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
        from airflow.api_fastapi.core_api.security import requires_access_dag

        requires_access_dag("GET", DagAccessEntity.RUN, param_dag_id=dag_id)(request, user)

    def run_exists(self, dag_id: str, run_id: str) -> bool:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            query = select(DagRun.id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
            return session.scalar(query) is not None

    def readable_runs(self, user: Any, run_ids: list[str]) -> dict[str, str]:
        """run id -> DAG id, for the runs among ``run_ids`` whose DAG the user may read."""
        from airflow.api_fastapi.app import get_auth_manager
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            readable = get_auth_manager().get_authorized_dag_ids(user=user, session=session)
            query = select(DagRun.run_id, DagRun.dag_id).where(DagRun.run_id.in_(run_ids))
            return {r: d for r, d in session.execute(query) if d in readable}

    def login_url(self) -> str | None:
        from airflow.api_fastapi.app import get_auth_manager

        try:
            return str(get_auth_manager().get_url_login())
        except Exception:  # an auth manager without a login page
            return None


def _report_dir() -> Path:
    from azkaban_airflow.settings import load_settings

    return load_settings().report_dir


def page_url(dag_id: str, run_id: str) -> str:
    """The page's path in the api-server (what the *Run report* link points at)."""
    return f"{REPORT_APP_PREFIX}/reports/{quote(dag_id, safe='')}/{quote(run_id, safe='')}"


async def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Any:
    """The calling Airflow user (a FastAPI dependency of every route); 401/403 otherwise."""
    return await request.app.state.gate.user(request, credentials)


Caller = Annotated[Any, Depends(caller)]


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def create_app(gate: Any = None, report_dir: Path | None = None) -> FastAPI:
    """The app; ``gate`` and ``report_dir`` default to Airflow's and the settings'."""
    app = FastAPI(
        title="azkaban-seeder run reports", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.gate = gate if gate is not None else AirflowGate()
    app.state.report_dir = report_dir

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> Response:
        if not _wants_html(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        link = None
        if exc.status_code == 401:
            login = request.app.state.gate.login_url()
            link = (login, "Log in to Airflow") if login else None
        title = {401: "Not logged in", 403: "Not allowed", 404: "Not found"}.get(
            exc.status_code, "Refused"
        )
        body = render_message(title, str(exc.detail), link)
        return HTMLResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    _routes(app)
    return app


def _files(app: FastAPI, dag_id: str, run_id: str, request: Request, user: Any) -> Path:
    """The run's report file, after the access check; 404 names what is missing."""
    gate = app.state.gate
    gate.authorize_run(request, user, dag_id)
    if not gate.run_exists(dag_id, run_id):
        raise HTTPException(404, f"No run {run_id!r} of DAG {dag_id!r}: check the run id.")
    directory = app.state.report_dir or _report_dir()
    path = report_files.report_file(directory, run_id)
    if not path.is_file():
        raise HTTPException(
            404,
            f"Run {run_id!r} of DAG {dag_id!r} has no report yet: the report task writes "
            f"{path.name} to the report directory when it runs (last in the run). If the "
            "run has finished, check that AZKABAN_SEEDER_REPORT_DIR is the same for the "
            "workers and the api-server.",
        )
    return path


def _load(path: Path) -> Any:
    from azkaban_seeder.report import RunReport

    try:
        return RunReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HTTPException(500, f"The report {path.name} cannot be read: {exc}") from exc


def _likeness(directory: Path, run_id: str) -> Any:
    path = report_files.likeness_json(directory, run_id)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning("likeness file %s is not JSON; not shown", path)
        return None


def _routes(app: FastAPI) -> None:
    @app.get("/reports/{dag_id}/{run_id}", response_class=HTMLResponse)
    def report(dag_id: str, run_id: str, request: Request, user: Caller) -> str:
        path = _files(app, dag_id, run_id, request, user)
        base = page_url(dag_id, run_id)
        png = report_files.likeness_png(path.parent, run_id)
        return render_report(
            _load(path),
            dag_id=dag_id,
            json_url=f"{base}/report.json",
            likeness=_likeness(path.parent, run_id),
            likeness_png_url=f"{base}/likeness.png" if png.is_file() else None,
        )

    @app.get("/reports/{dag_id}/{run_id}/report.json")
    def report_json(dag_id: str, run_id: str, request: Request, user: Caller) -> FileResponse:
        path = _files(app, dag_id, run_id, request, user)
        return FileResponse(path, media_type="application/json", filename=path.name)

    @app.get("/reports/{dag_id}/{run_id}/likeness.png")
    def likeness_png(dag_id: str, run_id: str, request: Request, user: Caller) -> FileResponse:
        path = report_files.likeness_png(_files(app, dag_id, run_id, request, user).parent, run_id)
        if not path.is_file():
            raise HTTPException(404, f"Run {run_id!r} has no likeness chart.")
        return FileResponse(path, media_type="image/png")

    @app.get("/", response_class=HTMLResponse)
    def index(user: Caller) -> str:
        directory = app.state.report_dir or _report_dir()
        files = sorted(
            directory.glob("*" + report_files.REPORT_SUFFIX),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        found = {}
        for path in files[: INDEX_SIZE * 2]:
            if path.name.endswith(report_files.LIKENESS_JSON_SUFFIX):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("run_id"):
                found[str(data["run_id"])] = data.get("ok")
        dags = app.state.gate.readable_runs(user, list(found))
        rows = [
            (page_url(dags[run], run), dags[run], run, ok)
            for run, ok in found.items()
            if run in dags
        ]
        return render_index(rows[:INDEX_SIZE])


#: The app the plugin registers.
app = create_app()

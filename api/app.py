"""DeerTrack HTTP API: queue exports, follow their progress, download the result.

Thin over the same core functions the dashboard uses: requests are checked by
``validate_export_request``, queued by ``jobs.tasks.enqueue_export`` and followed in the
job-status store. ``DeertrackError`` becomes a response in one place (:func:`_deertrack_error`).
Run with ``deertrack api``; the OpenAPI docs are at ``/docs``.

Every ``/api/`` request names its user by a bearer token (see :mod:`api.security`, which also
bounds request bodies); roles are checked by the core functions the routes call. A user who is
not an admin sees only the jobs they queued; other jobs read as not found.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse

from api.security import Authenticate, BodyLimit, problem
from deertrack_core import auth, settings
from deertrack_core.errors import (
    AuthenticationError,
    ConflictError,
    DatabaseNotReadyError,
    DeertrackError,
    JobError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from deertrack_core.jobstatus import COMPLETED, JobState, get_store
from deertrack_core.reports.delivery import open_export
from deertrack_core.reports.request import FORMAT_OF, validate_export_request

log = logging.getLogger(__name__)

#: URL family -> file format of the report types posted there.
FAMILIES = {"pdf": "pdf", "csv": "csv", "camtrap-dp": "zip", "megadetector": "json"}
#: URL families that take named report types rather than a file format.
TYPE_FAMILIES = {
    "capture-history": ("secr_capthist", "mark_inp", "detection_history"),
    "scores": ("scores_csv", "scores_parquet"),
}
MEDIA_TYPES = {".pdf": "application/pdf", ".csv": "text/csv", ".zip": "application/zip",
               ".inp": "text/plain", ".parquet": "application/vnd.apache.parquet",
               ".json": "application/json"}  # fmt: skip
EXAMPLE = {
    "report_type": "seasonal_activity",
    "start_date": "2024-05-01",
    "end_date": "2024-09-30",
    "group_by": "week",
    "independence_minutes": 30,
}
STATUS_CODES: dict[type[DeertrackError], int] = {
    ValidationError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    JobError: 503,
    DatabaseNotReadyError: 503,
}


def _family_of(report_type: str) -> str:
    named = [f for f, types in TYPE_FAMILIES.items() if report_type in types]
    return (
        named[0] if named else next(f for f, x in FAMILIES.items() if x == FORMAT_OF[report_type])
    )


def _family_problem(family: str, data: dict[str, Any]) -> dict[str, str]:
    """The URL fixes the format family; a report type of another family is refused."""
    report_type = data.get("report_type")
    fmt = FORMAT_OF.get(report_type) if isinstance(report_type, str) else None
    if fmt is None:
        return {}
    if family in TYPE_FAMILIES:
        if report_type in TYPE_FAMILIES[family]:
            return {}
        here = list(TYPE_FAMILIES[family])
    elif fmt == FAMILIES[family]:
        return {}
    else:
        here = [t for t, x in FORMAT_OF.items() if x == FAMILIES[family]]
    right = _family_of(report_type)
    return {
        "report_type": (
            f"report_type {report_type!r} is not a {family} report; post it to "
            f"/api/exports/{right} or choose one of {', '.join(here)}"
        )
    }


def _job_view(state: JobState, request: Request) -> dict[str, Any]:
    view: dict[str, Any] = {
        "job_id": state.id,
        "kind": state.kind,
        "status": state.status,
        "percent": state.percent,
        "message": state.message,
        "attempt": state.attempt,
        "error": state.error,
        "created_at": state.created_at.isoformat() if state.created_at else None,
        "started_at": state.started_at.isoformat() if state.started_at else None,
        "finished_at": state.finished_at.isoformat() if state.finished_at else None,
        "download_url": None,
    }
    if state.kind == "export" and state.status == COMPLETED and state.result_path:
        view["download_url"] = str(request.url_for("download_export", job_id=state.id))
    return view


def _actor(request: Request) -> auth.Actor:
    return request.state.actor  # set by api.security.Authenticate for every /api/ path


def _export_state(job_id: str, actor: auth.Actor) -> JobState:
    state = get_store().get(job_id)
    # Another user's job reads as missing: its existence is nobody else's business.
    if state is None or state.kind != "export" or not auth.may_see_job(actor, state.params):
        raise NotFoundError(
            f"There is no export job {job_id[:80]!r}.",
            "Jobs are kept for DEERTRACK_JOB_KEEP_S (1 h unless set) after they end; queue the "
            "export again.",
        )
    return state


def _query_request(report_type: str, **fields: Any) -> dict[str, Any]:
    """Query parameters as an export request (validated like one): blanks dropped, the
    deployments list split on commas."""
    data = {"report_type": report_type}
    for key, value in fields.items():
        if value is None or value == "":
            continue
        data[key] = (
            [v.strip() for v in value.split(",") if v.strip()] if key == "deployments" else value
        )
    return data


async def _deertrack_error(request: Request, exc: DeertrackError) -> JSONResponse:
    status = next((c for t, c in STATUS_CODES.items() if isinstance(exc, t)), 500)
    if isinstance(exc, ValidationError):
        return JSONResponse({"detail": {"problems": exc.problems}}, status_code=status)
    if status == 500:
        log.warning("request %s failed: %s", request.url.path, exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return problem(status, exc.problem, exc.fix, **headers)


async def _redis_down(request: Request, exc: Exception) -> JSONResponse:
    from sqlalchemy.engine import make_url

    where = make_url(settings.redis_url() or "redis://?").render_as_string(hide_password=True)
    log.warning("request %s: Redis unreachable: %s", request.url.path, exc)
    return problem(
        503,
        f"The job queue and status store (Redis at {where}) cannot be reached: {exc}",
        "Start Redis or correct DEERTRACK_REDIS_URL, then try again.",
        **{"Retry-After": "30"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request %s failed", request.url.path)
    return problem(
        500,
        f"The API failed unexpectedly ({type(exc).__name__}).",
        "Try again; if it persists, the API log has the details for an admin.",
    )


async def _malformed_body(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = {}
    for error in exc.errors():
        where = [str(p) for p in error.get("loc", ()) if p != "body"]
        problems[".".join(where) or "request"] = (
            f"{error.get('msg', 'invalid')}; send a JSON object of named fields"
        )
    return JSONResponse({"detail": {"problems": problems}}, status_code=400)


def create_app() -> FastAPI:
    app = FastAPI(
        title="DeerTrack API",
        version="1.0",
        description="Queue reports and exports of the DeerTrack archive and download them.",
    )
    app.add_exception_handler(DeertrackError, _deertrack_error)
    app.add_exception_handler(RequestValidationError, _malformed_body)
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    app.add_exception_handler(RedisConnectionError, _redis_down)
    app.add_exception_handler(RedisTimeoutError, _redis_down)
    app.add_exception_handler(Exception, _unexpected)
    # The last added runs first: bodies are bounded before anyone is identified.
    app.add_middleware(Authenticate)
    app.add_middleware(BodyLimit)

    def queue_export(family: str, data: dict[str, Any], request: Request) -> JSONResponse:
        from jobs.tasks import enqueue_export

        if family == "camtrap-dp":
            data = {"report_type": "camtrap_dp", **data}
        problems = _family_problem(family, data)
        try:
            validate_export_request(data)
        except ValidationError as exc:
            problems = {**exc.problems, **problems}
        if problems:
            raise ValidationError(problems)
        job_id = enqueue_export(data, actor=_actor(request))
        status_url = str(request.url_for("export_status", job_id=job_id))
        return JSONResponse(
            {"job_id": job_id, "status": "queued", "status_url": status_url},
            status_code=202,
            headers={"Location": status_url},
        )

    body = Body(..., examples=[EXAMPLE], description="The export request (see ExportRequest).")

    @app.post("/api/exports/pdf", status_code=202, summary="Queue a PDF report")
    def export_pdf(request: Request, data: dict[str, Any] = body) -> JSONResponse:
        """report_type: seasonal_activity, individual_history or camera_summary."""
        return queue_export("pdf", data, request)

    @app.post("/api/exports/csv", status_code=202, summary="Queue a CSV export")
    def export_csv(request: Request, data: dict[str, Any] = body) -> JSONResponse:
        """report_type: detections_csv or record_table_csv."""
        return queue_export("csv", data, request)

    @app.post("/api/exports/camtrap-dp", status_code=202, summary="Queue a Camtrap DP package")
    def export_camtrap_dp(request: Request, data: dict[str, Any] = body) -> JSONResponse:
        """A Camtrap DP 1.0 zip; report_type may be left out (camtrap_dp)."""
        return queue_export("camtrap-dp", data, request)

    @app.post("/api/exports/capture-history", status_code=202, summary="Queue capture histories")
    def export_capture_history(request: Request, data: dict[str, Any] = body) -> JSONResponse:
        """report_type: secr_capthist (zip), mark_inp (MARK .inp) or detection_history (zip);
        occasions follow group_by; confirmed_only counts reviewed identities alone."""
        return queue_export("capture-history", data, request)

    @app.post("/api/exports/scores", status_code=202, summary="Queue a similarity-score export")
    def export_scores(request: Request, data: dict[str, Any] = body) -> JSONResponse:
        """report_type: scores_csv or scores_parquet; filters: model, run_id, dates, deployments."""
        return queue_export("scores", data, request)

    @app.get("/api/scores/summary", summary="Similarity scores by bucket, model and run")
    def scores_summary(
        model: str | None = Query(None, max_length=300),
        run_id: str | None = Query(None, max_length=64),
        start_date: str | None = Query(None, max_length=10),
        end_date: str | None = Query(None, max_length=10),
        deployments: str | None = Query(None, max_length=2000, description="ids, comma-separated"),
        bins: int = Query(20, ge=1, le=200),
    ) -> dict[str, Any]:
        from deertrack_core import db
        from deertrack_core.reports.scores import ScoreQuery, score_summary

        data = _query_request("scores_csv", model=model, run_id=run_id, start_date=start_date,
                              end_date=end_date, deployments=deployments)  # fmt: skip
        with db.session_scope() as session:
            req = validate_export_request(data, session=session)
            return score_summary(session, ScoreQuery.from_request(req), bins=bins).as_dict()

    @app.get("/api/abundance", summary="Population size with and without ID error")
    def abundance(
        occasion: str = Query("week", description="day, week or month"),
        confirmed_only: bool = Query(False),
        start_date: str | None = Query(None, max_length=10),
        end_date: str | None = Query(None, max_length=10),
        deployments: str | None = Query(None, max_length=2000, description="ids, comma-separated"),
        replicates: int = Query(200, ge=1, le=1000),
        seed: int = Query(0, ge=0, le=2**31),
    ) -> dict[str, Any]:
        """Every closed-population estimator, each with its sampling-only interval and its
        interval with the machine's identification error (as ``deertrack abundance --json``)."""
        from deertrack_core import db
        from deertrack_core.analysis.population import population_from_session

        data = _query_request("seasonal_activity", group_by=occasion, start_date=start_date,
                              end_date=end_date, deployments=deployments,
                              confirmed_only=confirmed_only)  # fmt: skip
        with db.session_scope() as session:
            req = validate_export_request(data, session=session)
            report = population_from_session(
                session, start=req.start_date, end=req.end_date, deployments=req.deployments,
                occasion=req.group_by, confirmed_only=req.confirmed_only,
                replicates=replicates, seed=seed,
            )  # fmt: skip
        return report.as_dict()

    @app.post("/api/exports/megadetector", status_code=202, summary="Queue a MegaDetector file")
    def export_megadetector(request: Request, data: dict[str, Any] = body) -> JSONResponse:
        """report_type: megadetector_json (MegaDetector batch format 1.4, for Timelapse)."""
        return queue_export("megadetector", data, request)

    @app.get("/api/exports/{job_id}", name="export_status", summary="Status of an export")
    def export_status(job_id: str, request: Request) -> dict[str, Any]:
        return _job_view(_export_state(job_id, _actor(request)), request)

    @app.get("/api/exports/{job_id}/download", name="download_export", summary="Download")
    def download_export(job_id: str, request: Request) -> StreamingResponse:
        state = _export_state(job_id, _actor(request))
        if state.status != COMPLETED or not state.result_path:
            raise ConflictError(
                f"Export {job_id} is {state.status}, so there is nothing to download yet.",
                "Wait until its status is completed (GET /api/exports/{job_id}).",
            )
        # Only a file inside this job's own export folder, whatever the record says.
        export = open_export(state.id, state.result_path)
        return StreamingResponse(
            export.chunks(),
            media_type=MEDIA_TYPES.get(Path(export.name).suffix, "application/octet-stream"),
            headers={
                "Content-Length": str(export.size),
                "Content-Disposition": f'attachment; filename="{export.name}"',
            },
        )

    @app.get("/api/jobs", summary="Recent background jobs, newest first")
    def recent_jobs(
        request: Request,
        limit: int = Query(20, ge=1, le=200),
        kind: str | None = Query(None, description="export, backfill, rematch, ingest"),
    ) -> list[dict[str, Any]]:
        """Admins see every job; other users only the jobs they queued (among the latest
        thousand)."""
        actor = _actor(request)
        scan = limit if actor.may(auth.ADMIN) else 1000
        states = get_store().list_recent(limit=scan, kind=kind)
        mine = [s for s in states if auth.may_see_job(actor, s.params)]
        return [_job_view(s, request) for s in mine[:limit]]

    @app.post("/api/jobs/backfill", status_code=202, summary="Queue a similarity backfill")
    def queue_backfill(request: Request) -> JSONResponse:
        """Admins only: score every identified detection against every deer."""
        from jobs.tasks import enqueue_backfill

        return JSONResponse({"job_id": enqueue_backfill(actor=_actor(request))}, status_code=202)

    @app.post("/api/jobs/rematch", status_code=202, summary="Queue re-identification")
    def queue_rematch(request: Request) -> JSONResponse:
        """Admins only: match the detections that have no deer yet."""
        from jobs.tasks import enqueue_rematch

        return JSONResponse({"job_id": enqueue_rematch(actor=_actor(request))}, status_code=202)

    @app.get("/api/me", summary="Who the token belongs to")
    def whoami(request: Request) -> dict[str, str]:
        actor = _actor(request)
        return {"name": actor.name, "role": actor.role.value, "kind": actor.kind}

    return app


app = create_app()

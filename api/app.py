"""DeerTrack HTTP API: queue exports, follow their progress, download the result.

Thin over the same core functions the dashboard uses: requests are checked by
``validate_export_request``, queued by ``jobs.tasks.enqueue_export`` and followed in the
job-status store. ``DeertrackError`` becomes a response in one place (:func:`_deertrack_error`).
Run with ``deertrack api``; the OpenAPI docs are at ``/docs``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse

from deertrack_core.errors import (
    ConflictError,
    DatabaseNotReadyError,
    DeertrackError,
    JobError,
    NotFoundError,
    ValidationError,
)
from deertrack_core.jobstatus import COMPLETED, JobState, get_store
from deertrack_core.reports.request import FORMAT_OF, validate_export_request

log = logging.getLogger(__name__)

#: URL family -> file format of the report types posted there.
FAMILIES = {"pdf": "pdf", "csv": "csv", "camtrap-dp": "zip", "megadetector": "json"}
MEDIA_TYPES = {".pdf": "application/pdf", ".csv": "text/csv", ".zip": "application/zip",
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
    NotFoundError: 404,
    ConflictError: 409,
    JobError: 503,
    DatabaseNotReadyError: 503,
}


def _family_problem(family: str, data: dict[str, Any]) -> dict[str, str]:
    """The URL fixes the format family; a report type of another family is refused."""
    report_type = data.get("report_type")
    fmt = FORMAT_OF.get(report_type) if isinstance(report_type, str) else None
    if fmt is None or fmt == FAMILIES[family]:
        return {}
    right = next(f for f, x in FAMILIES.items() if x == fmt)
    here = [t for t, x in FORMAT_OF.items() if x == FAMILIES[family]]
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


def _export_state(job_id: str) -> JobState:
    state = get_store().get(job_id)
    if state is None or state.kind != "export":
        raise NotFoundError(
            f"There is no export job {job_id!r}.",
            "Jobs are kept for an hour after they end; queue the export again.",
        )
    return state


async def _deertrack_error(request: Request, exc: DeertrackError) -> JSONResponse:
    status = next((c for t, c in STATUS_CODES.items() if isinstance(exc, t)), 500)
    if isinstance(exc, ValidationError):
        return JSONResponse({"detail": {"problems": exc.problems}}, status_code=status)
    if status == 500:
        log.warning("request %s failed: %s", request.url.path, exc)
    return JSONResponse({"detail": {"problem": exc.problem, "fix": exc.fix}}, status_code=status)


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
        job_id = enqueue_export(data)
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

    @app.post("/api/exports/megadetector", status_code=202, summary="Queue a MegaDetector file")
    def export_megadetector(request: Request, data: dict[str, Any] = body) -> JSONResponse:
        """report_type: megadetector_json (MegaDetector batch format 1.4, for Timelapse)."""
        return queue_export("megadetector", data, request)

    @app.get("/api/exports/{job_id}", name="export_status", summary="Status of an export")
    def export_status(job_id: str, request: Request) -> dict[str, Any]:
        return _job_view(_export_state(job_id), request)

    @app.get("/api/exports/{job_id}/download", name="download_export", summary="Download")
    def download_export(job_id: str) -> FileResponse:
        state = _export_state(job_id)
        if state.status != COMPLETED or not state.result_path:
            raise ConflictError(
                f"Export {job_id} is {state.status}, so there is nothing to download yet.",
                "Wait until its status is completed (GET /api/exports/{job_id}).",
            )
        path = Path(state.result_path)
        if not path.is_file():
            raise NotFoundError(
                f"The file of export {job_id} is gone ({path.name}).",
                "Queue the export again.",
            )
        return FileResponse(
            path,
            filename=path.name,
            media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        )

    @app.get("/api/jobs", summary="Recent background jobs, newest first")
    def recent_jobs(
        request: Request,
        limit: int = Query(20, ge=1, le=200),
        kind: str | None = Query(None, description="export, backfill, rematch, ingest"),
    ) -> list[dict[str, Any]]:
        return [_job_view(s, request) for s in get_store().list_recent(limit=limit, kind=kind)]

    return app


app = create_app()

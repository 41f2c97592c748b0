"""Build one export from a validated request: the single entry point jobs, the API and the CLI use.

``build_export`` loads the request's rows once, dispatches on ``request.report_type`` and writes
the file atomically: into a temporary file in the output folder, renamed into place only when
complete, so a failure leaves nothing half-written behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from deertrack_core import db
from deertrack_core.errors import ValidationError
from deertrack_core.progress import ProgressCallback, noop

log = logging.getLogger(__name__)

EXTENSIONS = {"pdf": ".pdf", "csv": ".csv", "zip": ".zip", "inp": ".inp", "parquet": ".parquet",
              "json": ".json"}  # fmt: skip
TOTAL_STEPS = 5


def output_name(request, now: dt.datetime) -> str:
    """``<report_type>_<start>_<end>_<yyyymmddThhmmss>.<ext>``; an open end reads ``first`` /
    ``last`` (photo), both open ``all-dates``."""
    if request.start_date is None and request.end_date is None:
        span = "all-dates"
    else:
        start = request.start_date.isoformat() if request.start_date else "first"
        end = request.end_date.isoformat() if request.end_date else "last"
        span = f"{start}_{end}"
    return f"{request.report_type}_{span}_{now:%Y%m%dT%H%M%S}{EXTENSIONS[request.fmt]}"


def _pdf_writer(module_name: str) -> Callable:
    def write(session, request, path: Path, progress: ProgressCallback, now: dt.datetime) -> None:
        import importlib

        from deertrack_core.reports.inputs import load_inputs
        from deertrack_core.reports.pdf import ReportMeta

        module = importlib.import_module(f"deertrack_core.reports.{module_name}")
        inputs = load_inputs(session, request, columns=getattr(module, "COLUMNS", None))
        progress(1, TOTAL_STEPS, f"loaded {len(inputs.detections):,} detections")
        if hasattr(module, "prepare"):  # what a report needs the session for beyond its rows
            inputs = module.prepare(session, inputs, progress)
        meta = ReportMeta(
            title=module.TITLE,
            start=inputs.start,
            end=inputs.end,
            filters=inputs.filters(grouped=getattr(module, "GROUPED", False)),
            synthetic=inputs.synthetic,
            generated_at=now,
        )
        pages = module.build(inputs, path, meta, progress)
        log.info("%s: %d pages", path.name, pages)

    return write


def _csv_writer(kind: str) -> Callable:
    def write(session, request, path: Path, progress: ProgressCallback, now: dt.datetime) -> None:
        from deertrack_core.reports import csv_export

        csv_export.write_csv(session, request, path, kind=kind, progress=progress)

    return write


def _camtrap_writer(session, request, path: Path, progress: ProgressCallback, now) -> None:
    from deertrack_core.reports import camtrap_dp

    camtrap_dp.write_package(session, request, path, progress=progress, created=now)


def _module_writer(module_name: str, function: str) -> Callable:
    def write(session, request, path: Path, progress: ProgressCallback, now: dt.datetime) -> None:
        import importlib

        module = importlib.import_module(f"deertrack_core.reports.{module_name}")
        getattr(module, function)(session, request, path, progress=progress)

    return write


def _md_writer(session, request, path: Path, progress: ProgressCallback, now) -> None:
    from deertrack_core.detect.mdexport import write_md_json

    write_md_json(session, request, path, progress=progress, now=now)


WRITERS: dict[str, Callable] = {
    "seasonal_activity": _pdf_writer("pdf_seasonal"),
    "individual_history": _pdf_writer("pdf_individuals"),
    "camera_summary": _pdf_writer("pdf_cameras"),
    "detections_csv": _csv_writer("detections"),
    "record_table_csv": _csv_writer("record_table"),
    "camtrap_dp": _camtrap_writer,
    "secr_capthist": _module_writer("capture_histories", "write_secr"),
    "mark_inp": _module_writer("capture_histories", "write_mark"),
    "detection_history": _module_writer("capture_histories", "write_detection_history"),
    "scores_csv": _module_writer("scores", "write_scores_csv"),
    "scores_parquet": _module_writer("scores", "write_scores_parquet"),
    "megadetector_json": _md_writer,
}


def build_export(
    request,
    out_dir: Path,
    *,
    url: str | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    """Write the export ``request`` asks for into ``out_dir`` and return the file's path.

    PDF for seasonal_activity / individual_history / camera_summary, CSV for detections_csv /
    record_table_csv, a zip for camtrap_dp. Progress runs through load, compute, render, write.
    """
    progress = progress or noop
    writer = WRITERS.get(request.report_type)
    if writer is None:
        raise ValidationError(
            {"report_type": f"report_type {request.report_type!r} has no report builder"}
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    final = out_dir / output_name(request, now)
    progress(0, TOTAL_STEPS, "loading records")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=".part", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with db.session_scope(url) as session:
            writer(session, request, tmp, progress, now)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for sharing
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    progress(TOTAL_STEPS, TOTAL_STEPS, f"wrote {final.name}")
    log.info("export %s written (%d bytes)", final, final.stat().st_size)
    return final

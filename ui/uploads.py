"""Uploaded zip archives and MegaDetector files, saved under the data root for an ingest job."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from deertrack_core import safezip, settings


def upload_dir() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = settings.data_root() / "uploads" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def extract_zip(data, folder: Path) -> int:
    """Unpack an uploaded zip into ``folder`` within the size, file-count and ratio limits."""
    return safezip.extract_zip(data, folder)


def save_file(data: bytes, folder: Path, name: str) -> Path:
    path = folder / Path(name).name
    path.write_bytes(data)
    return path


def problems(result: dict | None) -> list[dict]:
    """Per-file problems of an ingest job's result, as table rows."""
    if not result:
        return []
    rows = []
    for p in (result.get("ingest") or {}).get("failed") or []:
        rows.append({"file": p.get("path", "?"), "problem": p.get("reason", "?")})
    for f in (result.get("detections") or {}).get("unmatched_files") or []:
        rows.append({"file": f, "problem": "in the MegaDetector file but not among the photos"})
    return rows

"""Uploaded zip archives and MegaDetector files, saved under the data root for an ingest job."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from deertrack_core import settings
from deertrack_core.errors import IngestError


def upload_dir() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = settings.data_root() / "uploads" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def extract_zip(data, folder: Path) -> int:
    """Unpack an uploaded zip into ``folder``; refuses members that would land outside it."""
    try:
        with zipfile.ZipFile(data) as zf:
            root = folder.resolve()
            for name in zf.namelist():
                target = (folder / name).resolve()
                if root not in target.parents and target != root:
                    raise IngestError(
                        f"The zip holds a path outside its folder: {name!r}.",
                        "Zip the photo folder itself, without absolute or '..' paths.",
                    )
            zf.extractall(folder)
            return sum(1 for i in zf.infolist() if not i.is_dir())
    except zipfile.BadZipFile as exc:
        raise IngestError(
            f"The uploaded file is not a readable zip archive ({exc}).",
            "Upload a .zip of the photo folder, or give a folder on the server instead.",
        ) from exc


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

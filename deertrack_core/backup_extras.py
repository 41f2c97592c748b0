"""What a backup holds besides the tables: the photo manifest (and photos), settings, models."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from deertrack_core import paths, settings

log = logging.getLogger(__name__)

PHOTOS = "photos.jsonl.gz"


def settings_now() -> dict[str, str]:
    """Every setting's value in effect, passwords in URLs hidden."""
    out = {}
    for s in settings.SETTINGS:
        value = settings.get(s.name)
        if s.name.endswith("_URL") and value:
            try:
                value = make_url(value).render_as_string(hide_password=True)
            except sa.exc.ArgumentError:
                value = "(unparsable URL)"
        out[s.name] = value
    return out


def _model_files() -> list[Path]:
    """Model files the settings point at: *_MODEL_DIR settings, a local open_clip checkpoint."""
    found = []
    for s in settings.SETTINGS:
        if s.name.endswith(("_MODEL_DIR", "_MODELS_DIR")) and settings.get(s.name):
            found.append(Path(settings.get(s.name)))
    embedder = settings.embedder_name()
    if embedder.startswith("open_clip:") and embedder.count(":") >= 2:
        found.append(Path(embedder.split(":", 2)[2]))
    return [p for p in found if p.exists()]


def copy_models(dest: Path) -> list[dict[str, str]]:
    copied = []
    for n, src in enumerate(_model_files()):
        target = dest / f"{n}-{src.name}"
        dest.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, symlinks=True)
        else:
            shutil.copy2(src, target)
        copied.append({"from": str(src), "file": f"models/{target.name}"})
    return copied


def _backup_name(stored: str) -> PurePosixPath:
    """Where a photo goes inside the backup's photos/ folder."""
    path = PurePosixPath(stored)
    return PurePosixPath("_absolute", *path.parts[1:]) if path.is_absolute() else path


def _copy_hashing(src: Path, dest: Path) -> str:
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        while piece := fin.read(1 << 20):
            digest.update(piece)
            fout.write(piece)
    return digest.hexdigest()


def photo_manifest(conn: Connection, work: Path, with_photos: bool) -> dict[str, Any]:
    """Write photos.jsonl.gz (stored path, sha256, size, present) and copy the photos if asked."""
    count = missing = copied = 0
    warnings: list[str] = []
    rows = conn.execution_options(stream_results=True, yield_per=5000).execute(
        sa.text("SELECT path, sha256, file_size FROM images ORDER BY id")
    )
    with gzip.open(work / PHOTOS, "wt", encoding="utf-8", compresslevel=3) as out:
        for stored, sha, size in rows:
            count += 1
            file = paths.resolve(stored)
            present = file.is_file()
            missing += not present
            entry = {"path": stored, "sha256": sha, "size": size, "present": present}
            if with_photos and present:
                got = _copy_hashing(file, work / "photos" / _backup_name(stored))
                copied += 1
                if got != sha:
                    warnings.append(f"{stored} changed since it was ingested (sha256 differs)")
                entry["copied_sha256"] = got
            out.write(json.dumps(entry) + "\n")
    if missing:
        warnings.append(f"{missing} of {count} photos were not found under the data root")
    return {"manifest": PHOTOS, "count": count, "missing": missing, "copied": copied,
            "warnings": warnings[:50]}  # fmt: skip


def restore_photos(src: Path, dest_root: Path) -> tuple[int, int]:
    """Copy the backup's photos under ``dest_root``; never overwrite, never outside it.
    Returns (restored, skipped: already there, absolute paths, or not in the backup)."""
    dest_root = dest_root.resolve()
    restored = skipped = 0
    with gzip.open(src / PHOTOS, "rt", encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            stored = PurePosixPath(entry["path"])
            inside = src / "photos" / _backup_name(entry["path"])
            target = (dest_root / stored).resolve()
            if stored.is_absolute() or dest_root not in target.parents or not inside.is_file():
                skipped += 1
                continue
            if target.exists():
                skipped += 1
                continue
            got = _copy_hashing(inside, target)
            if got != entry.get("copied_sha256", entry["sha256"]):
                target.unlink()
                log.warning("photo %s in the backup is damaged; not restored", stored)
                skipped += 1
                continue
            restored += 1
    return restored, skipped

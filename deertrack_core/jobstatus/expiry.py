"""What jobs leave on disk, and when it goes: export folders and what unfinished runs left.

An export job writes into ``<DEERTRACK_EXPORT_DIR>/<job id>/``, first to a hidden ``*.part`` file
that is renamed when complete. A worker killed mid-write leaves the ``.part`` behind; one killed
after the rename but before the job was recorded complete leaves a whole file that is nobody's
result. :func:`clear_unfinished` deletes both (when the job is started again, recovered, timed
out or failed), so a job's folder only ever holds the file of the run that completed it.
:func:`sweep_exports` deletes a job folder once its job's record has expired
(``DEERTRACK_JOB_KEEP_S`` after the job ended): the file can no longer be downloaded then anyway.
Only folders named like a job id are touched, links are never followed, and files written
straight into the export folder (``deertrack export``) are left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from deertrack_core import settings
from deertrack_core.jobstatus.lifecycle import FAILED, JobStatusStore, now_utc

log = logging.getLogger(__name__)

#: A job folder's name: what ``new_job_id`` makes (32 hex digits).
JOB_FOLDER = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class SweepResult:
    """What one sweep of the export folder removed."""

    folders: int = 0
    unfinished_files: int = 0
    bytes_freed: int = 0


def _job_dir(job_id: str, export_dir: Path | None) -> Path | None:
    """The job's folder when it is a real folder (not a link) inside the export folder."""
    if not JOB_FOLDER.fullmatch(job_id or ""):
        return None
    folder = (export_dir or settings.export_dir()) / job_id
    return folder if folder.is_dir() and not folder.is_symlink() else None


def clear_unfinished(job_id: str, export_dir: Path | None = None) -> int:
    """Delete the files in job ``job_id``'s folder; returns how many went.

    For a job no run has completed: call it only while none is writing (before an attempt
    starts, once the job is recovered or has failed)."""
    folder = _job_dir(job_id, export_dir)
    if folder is None:
        return 0
    removed = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)  # a link goes, never its target
                removed += 1
                log.info("removed %s, left by an unfinished run of job %s", entry.name, job_id)
    return removed


def _newest_change(folder: Path) -> dt.datetime:
    newest = folder.lstat().st_mtime
    with os.scandir(folder) as entries:
        for entry in entries:
            newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return dt.datetime.fromtimestamp(newest, dt.UTC)


def _size(folder: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            total += os.lstat(os.path.join(base, name)).st_size
    return total


def _expired(store: JobStatusStore, job_id: str, folder: Path, keep: dt.timedelta) -> bool:
    now = now_utc()
    state = store.get(job_id)
    if state is None:  # the record expired (or never was): judge by the files' own age
        return _newest_change(folder) + keep <= now
    # A job that still runs, or reads as failed only because its heartbeat stopped (a worker
    # will recover it), keeps its folder.
    return state.finished and state.finished_at is not None and state.finished_at + keep <= now


def sweep_exports(
    store: JobStatusStore, *, keep_s: float | None = None, export_dir: Path | None = None
) -> SweepResult:
    """Delete the folders of expired export jobs and the files unfinished runs of failed ones
    left; ``bytes_freed`` counts the folders."""
    root = export_dir or settings.export_dir()
    if not root.is_dir():
        return SweepResult()
    keep = dt.timedelta(seconds=keep_s if keep_s is not None else settings.job_keep_s())
    folders = partial = freed = 0
    with os.scandir(root) as entries:
        candidates = [
            e.name
            for e in entries
            if JOB_FOLDER.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
        ]
    for job_id in candidates:
        folder = root / job_id
        if _expired(store, job_id, folder, keep):
            size = _size(folder)
            shutil.rmtree(folder, ignore_errors=True)  # fd-based: links inside are not followed
            if not folder.exists():
                folders, freed = folders + 1, freed + size
                log.info("removed expired export folder %s (%d bytes)", folder, size)
            continue
        state = store.get(job_id)
        if state is not None and state.status == FAILED and state.finished_at is not None:
            partial += clear_unfinished(job_id, root)
    return SweepResult(folders, partial, freed)

"""Handing a finished export to whoever downloads it, without trusting the job record.

A job record says where its file is (``result_path``), but records live in Redis or a database
table that more processes write than DeerTrack's own, and an export folder may hold links. So the
file served is only ever one inside ``<DEERTRACK_EXPORT_DIR>/<job id>/`` once every link is
resolved, opened without following a final link and checked to be a regular file: a tampered
record or a link to ``/etc/shadow`` gets a 404, never the file.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from deertrack_core import settings
from deertrack_core.errors import NotFoundError

log = logging.getLogger(__name__)

#: What a job id may look like: one path component, never "..".
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportFile:
    """An export opened for reading: close ``file`` when done."""

    file: BinaryIO
    name: str
    size: int

    def chunks(self):
        """The bytes in pieces, closing the file at the end (for streaming responses)."""
        with self.file:
            while piece := self.file.read(CHUNK):
                yield piece


def job_folder(job_id: str) -> Path:
    """The only folder export ``job_id`` may be served from (resolved)."""
    if not JOB_ID.fullmatch(job_id or ""):
        raise NotFoundError(f"There is no export job {job_id[:80]!r}.", "Check the job id.")
    return (settings.export_dir() / job_id).resolve()


def _refuse(job_id: str, why: str) -> NotFoundError:
    log.warning("export %s: refused to serve its file: %s", job_id, why)
    return NotFoundError(
        f"Export {job_id} has no file in the export folder to download.",
        "Queue the export again.",
    )


def open_export(job_id: str, result_path: str | None) -> ExportFile:
    """Open the file of export ``job_id`` named by ``result_path``, if it is really its file.

    Raises ``NotFoundError`` when it is gone or is not a regular file inside the job's own export
    folder after resolving links (and logs a warning: a record pointing elsewhere was tampered
    with).
    """
    root = job_folder(job_id)
    if not result_path:
        raise _refuse(job_id, "the record names no file")
    try:
        resolved = Path(result_path).resolve(strict=True)
    except (OSError, RuntimeError):
        raise NotFoundError(
            f"The file of export {job_id} is gone ({Path(result_path).name}).",
            "Queue the export again.",
        ) from None
    if root not in resolved.parents:
        raise _refuse(job_id, f"{result_path} resolves to {resolved}, outside {root}")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        # O_NOFOLLOW: a link swapped in after the check is not followed; O_NONBLOCK: a FIFO
        # planted there cannot hang the server (it fails the regular-file test below).
        fd = os.open(resolved, flags)
    except OSError as exc:
        raise _refuse(job_id, f"cannot open {resolved}: {exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _refuse(job_id, f"{resolved} is not a regular file")
    return ExportFile(os.fdopen(fd, "rb"), resolved.name, info.st_size)

"""The file-system side of ingest, made so that no single file can break a run.

* :func:`walk_photos` lists the photos under a folder; special files (FIFOs, sockets, devices)
  that carry a photo's name are reported and never opened (opening a FIFO blocks for ever), and
  folders that cannot be listed are reported instead of silently skipped.
* :func:`read_bytes` opens without blocking, checks that it really opened a regular file, bounds
  the size, and raises :class:`PhotoReadError` with a reason a person can read.
* :func:`readable` turns any exception into such a reason (never ``<_io.BytesIO object at 0x…>``).
* :func:`ordered_map` runs a reader over many files on daemon threads and gives up on a file that
  does not answer within a timeout (a stalled network share), so the run goes on and the process
  can still exit.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from deertrack_core.errors import IngestError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff"})
#: No trail-camera photo comes near this; a bigger "photo" is a video or a disk image.
MAX_PHOTO_BYTES = 256 * 1024 * 1024

T = TypeVar("T")
R = TypeVar("R")


class PhotoReadError(Exception):
    """A file that is not a readable image; the message is the reason reported to the user."""


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def special_kind(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)", ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass
class Walk:
    files: list[Path] = field(default_factory=list)
    ignored: int = 0  # files that are not photos (videos, CSVs, ...)
    skipped: list[Skipped] = field(default_factory=list)  # named like photos, never opened


def walk_photos(root: Path) -> Walk:
    """All photos under ``root`` in a stable order; hidden files and folders are skipped."""
    out = Walk()

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        out.skipped.append(Skipped(where, f"cannot list the folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            if os.path.splitext(name)[1].lower() not in IMAGE_SUFFIXES:
                out.ignored += 1
                continue
            path = Path(dirpath) / name
            try:
                kind = special_kind(os.stat(path).st_mode)  # follows links: a link to a FIFO
            except OSError as exc:
                out.skipped.append(Skipped(path, f"cannot read the file: {exc.strerror or exc}"))
                continue
            if kind is None:
                out.files.append(path)
            else:
                out.skipped.append(Skipped(path, f"{kind}, not a photo file: skipped unopened"))
    return out


def read_bytes(path: Path, max_bytes: int = MAX_PHOTO_BYTES) -> bytes:
    """The file's bytes. Raises PhotoReadError (special file, too large, unreadable, empty)."""
    try:
        # O_NONBLOCK: if the path became a FIFO since the walk, open returns at once instead of
        # waiting for a writer; fstat then tells what was opened.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise PhotoReadError(f"cannot open the file: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        kind = special_kind(info.st_mode)
        if kind is not None:
            raise PhotoReadError(f"{kind}, not a photo file")
        if info.st_size > max_bytes:
            raise PhotoReadError(
                f"{info.st_size / 2**20:.0f} MB is too large for a photo "
                f"(limit {max_bytes / 2**20:.0f} MB): a video or an archive with a photo's name?"
            )
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise PhotoReadError(f"cannot read the file: {exc.strerror or exc}") from exc
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > max_bytes:
        raise PhotoReadError(f"the file grew past {max_bytes / 2**20:.0f} MB while being read")
    if not data:
        raise PhotoReadError("empty file (0 bytes)")
    return data


_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive"),
    (b"GIF8", "a GIF image (not supported)"),
    (b"RIFF", "a RIFF file (AVI video or WebP)"),
    (b"\x1aE\xdf\xa3", "a Matroska/WebM video"),
    (b"<", "text (HTML or XML)"),
)


def guess_content(data: bytes) -> str:
    """What a file that is not a photo looks like, from its first bytes."""
    for magic, name in _SIGNATURES:
        if data.startswith(magic):
            return name
    if data[4:8] == b"ftyp":
        return "an MP4/MOV video"
    return f"unknown content (first bytes {data[:4].hex(' ')})"


def readable(exc: BaseException) -> str:
    """A reason a person can read for ``exc``: object reprs removed, the type named if needed."""
    text = _OBJECT_REPR.sub("the file", str(exc)).strip()
    if isinstance(exc, PhotoReadError):
        return text
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


class _Task(Generic[T]):
    __slots__ = ("item", "started", "done", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.started: float | None = None
        self.done = threading.Event()
        self.result: object = None


class ordered_map(Generic[T, R]):  # noqa: N801 - used like a function
    """Iterate ``(item, fn(item) or the exception it raised)`` in input order.

    ``workers`` daemon threads run ``fn``; at most ``ahead`` items are in flight. An item whose
    call has run longer than ``timeout`` seconds yields a :class:`PhotoReadError` saying so; its
    thread is abandoned (daemon: it cannot keep the process alive) and replaced. After
    ``max_abandoned`` such files the storage is taken to be gone and IngestError is raised.
    """

    def __init__(
        self,
        items: Iterable[T],
        fn: Callable[[T], R],
        *,
        workers: int,
        ahead: int,
        timeout: float,
        max_abandoned: int = 32,
    ) -> None:
        self.items, self.fn = iter(items), fn
        self.ahead, self.timeout, self.max_abandoned = max(1, ahead), timeout, max_abandoned
        self.jobs: queue.Queue[_Task[T] | None] = queue.Queue()
        self.threads: list[threading.Thread] = []
        self.abandoned = 0
        for _ in range(max(1, workers)):
            self._spawn()

    def _spawn(self) -> None:
        thread = threading.Thread(target=self._work, name="ingest-read", daemon=True)
        thread.start()
        self.threads.append(thread)

    def _work(self) -> None:
        while True:
            task = self.jobs.get()
            if task is None:
                return
            task.started = time.monotonic()
            try:
                task.result = self.fn(task.item)
            except Exception as exc:  # noqa: BLE001 - handed to the caller with the item
                task.result = exc
            task.done.set()

    def _wait(self, task: _Task[T]) -> object:
        while not task.done.wait(0.1):
            if task.started is not None and time.monotonic() - task.started > self.timeout:
                self.abandoned += 1
                log.warning("no answer from %r after %.0f s; going on", task.item, self.timeout)
                if self.abandoned > self.max_abandoned:
                    raise IngestError(
                        f"{self.abandoned} files did not answer within {self.timeout:g} s each.",
                        "The disk or network share seems to have stopped; check it and ingest "
                        "again (photos stored so far are kept).",
                    )
                self._spawn()  # the stuck thread keeps its slot until the read returns
                return PhotoReadError(
                    f"no answer after {self.timeout:g} s (a stalled disk or network share?); "
                    "skipped"
                )
        return task.result

    def __iter__(self) -> Iterator[tuple[T, object]]:
        pending: list[_Task[T]] = []
        try:
            for item in self.items:
                task = _Task(item)
                self.jobs.put(task)
                pending.append(task)
                if len(pending) >= self.ahead:
                    break
            while pending:
                task = pending.pop(0)
                nxt = next(self.items, _END)
                if nxt is not _END:
                    new = _Task(nxt)
                    self.jobs.put(new)
                    pending.append(new)
                yield task.item, self._wait(task)
        finally:
            for _ in self.threads:
                self.jobs.put(None)


_END = object()

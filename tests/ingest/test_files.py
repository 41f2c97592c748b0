"""The file-system side of ingest: special files, readable reasons, per-file timeouts (real files,
real FIFOs, real threads)."""

from __future__ import annotations

import io
import os
import socket
import threading
import time

import pytest
from PIL import Image, UnidentifiedImageError

from deertrack_core import paths
from deertrack_core.errors import IngestError
from deertrack_core.ingest.files import (
    PhotoReadError,
    guess_content,
    ordered_map,
    read_bytes,
    readable,
    walk_photos,
)
from tests.ingest.photos import make_jpeg


def test_walk_reports_special_files_without_opening_them(tmp_path):
    make_jpeg(tmp_path / "S1" / "good.jpg")
    os.mkfifo(tmp_path / "S1" / "x.jpg")
    os.symlink(tmp_path / "S1" / "x.jpg", tmp_path / "S1" / "link.jpg")
    os.symlink(tmp_path / "S1" / "gone", tmp_path / "S1" / "dangling.jpg")
    (tmp_path / "S1" / "notes.txt").write_text("not a photo")
    os.mkfifo(tmp_path / "S1" / "pipe.txt")  # not named like a photo: ignored like any other file
    found = walk_photos(tmp_path)
    assert [p.name for p in found.files] == ["good.jpg"]
    reasons = {s.path.name: s.reason for s in found.skipped}
    assert reasons["x.jpg"] == "a FIFO (named pipe), not a photo file: skipped unopened"
    assert reasons["link.jpg"] == reasons["x.jpg"]  # a link is followed to what it points at
    assert reasons["dangling.jpg"] == "cannot read the file: No such file or directory"
    assert found.ignored == 2


def test_walk_reports_a_socket(tmp_path):
    path = tmp_path / "s.jpg"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        (skipped,) = walk_photos(tmp_path).skipped
        assert skipped.reason.startswith("a socket")
    finally:
        sock.close()


def test_walk_reports_a_folder_it_cannot_list(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can list any folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        (skipped,) = walk_photos(tmp_path).skipped
        assert skipped.reason.startswith("cannot list the folder")
    finally:
        locked.chmod(0o755)


def test_walk_keeps_names_that_are_not_utf8(tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.jpg")
    with open(raw, "wb") as fh:
        fh.write((make_jpeg(tmp_path / "src.jpg")).read_bytes())
    names = sorted(p.name for p in walk_photos(tmp_path).files)
    odd = next(n for n in names if n != "src.jpg")
    assert not paths.is_utf8(odd)
    stored = paths.storable(odd)
    assert stored == "caf\uf7e9.jpg"
    stored.encode("utf-8")  # a database can take it
    assert paths.resolve(stored, tmp_path).read_bytes() == (tmp_path / "src.jpg").read_bytes()


def test_read_bytes_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "x.jpg"
    os.mkfifo(fifo)
    with pytest.raises(PhotoReadError, match="a FIFO"):
        read_bytes(fifo)


@pytest.mark.parametrize(
    ("content", "limit", "message"),
    [
        (b"", 100, "empty file"),
        (b"x" * 200, 100, "too large for a photo"),
    ],
)
def test_read_bytes_bounds(tmp_path, content, limit, message):
    path = tmp_path / "a.jpg"
    path.write_bytes(content)
    with pytest.raises(PhotoReadError, match=message):
        read_bytes(path, max_bytes=limit)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7 ...", "a PDF document"),
        (b"<!DOCTYPE html>", "text (HTML or XML)"),
        (b"\x00\x00\x00\x18ftypmp42", "an MP4/MOV video"),
        (b"\x01\x02\x03\x04\x05", "unknown content (first bytes 01 02 03 04)"),
    ],
)
def test_guess_content(data, expected):
    assert guess_content(data) == expected


def test_readable_never_shows_an_object_repr():
    try:
        Image.open(io.BytesIO(b"garbage"))
    except UnidentifiedImageError as exc:
        assert "0x" in str(exc)  # what Pillow says...
        text = readable(exc)
    assert "0x" not in text and "BytesIO" not in text  # ...and what the user reads
    assert text.startswith("UnidentifiedImageError: cannot identify image file")


def test_readable_names_an_os_error_by_its_meaning():
    assert readable(PermissionError(13, "Permission denied", "/x.jpg")) == (
        "PermissionError: Permission denied"
    )


def test_ordered_map_keeps_order_and_hands_back_exceptions():
    def work(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        time.sleep(0.01 * (5 - n))  # later items finish first
        return n * 10

    out = list(ordered_map(range(6), work, workers=3, ahead=4, timeout=30))
    assert [i for i, _ in out] == list(range(6))
    assert [r for _, r in out if not isinstance(r, Exception)] == [0, 10, 20, 40, 50]
    assert isinstance(out[3][1], ValueError)


def test_ordered_map_gives_up_on_a_file_that_does_not_answer():
    # A read that never returns (a stalled network share): the run goes on without it.
    release = threading.Event()

    def work(n: int) -> int:
        if n == 1:
            release.wait(60)
        return n

    try:
        out = list(ordered_map(range(4), work, workers=2, ahead=4, timeout=0.5))
    finally:
        release.set()
    assert [r for _, r in out if not isinstance(r, Exception)] == [0, 2, 3]
    assert isinstance(out[1][1], PhotoReadError)
    assert "no answer after 0.5 s" in str(out[1][1])


def test_ordered_map_stops_when_the_storage_is_gone():
    release = threading.Event()
    try:
        with pytest.raises(IngestError, match="3 files did not answer"):
            list(
                ordered_map(
                    range(10),
                    lambda n: release.wait(60),
                    workers=2,
                    ahead=4,
                    timeout=0.2,
                    max_abandoned=2,
                )  # fmt: skip
            )
    finally:
        release.set()

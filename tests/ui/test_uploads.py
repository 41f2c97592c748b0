"""Uploaded zips for the import screen (the file uploader itself cannot be driven by AppTest)."""

from __future__ import annotations

import io
import zipfile

import pytest

from deertrack_core.errors import IngestError
from ui import uploads


def _zip(**files: bytes) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name.replace("__", "/"), data)
    buf.seek(0)
    return buf


def test_a_zip_unpacks_into_the_folder(tmp_path):
    n = uploads.extract_zip(_zip(North__IMG_1_JPG=b"x", North__IMG_2_JPG=b"y"), tmp_path)
    assert n == 2 and (tmp_path / "North" / "IMG_1_JPG").read_bytes() == b"x"


def test_a_zip_escaping_its_folder_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.jpg", b"x")
    buf.seek(0)
    with pytest.raises(IngestError, match="outside its folder"):
        uploads.extract_zip(buf, tmp_path / "in")


def test_a_file_that_is_no_zip_is_refused(tmp_path):
    with pytest.raises(IngestError, match="not a readable zip"):
        uploads.extract_zip(io.BytesIO(b"hello"), tmp_path)


def test_problems_list_failed_and_unmatched_files():
    result = {
        "ingest": {"failed": [{"path": "a.jpg", "reason": "not a JPEG"}]},
        "detections": {"unmatched_files": ["b.jpg"]},
    }
    assert [r["file"] for r in uploads.problems(result)] == ["a.jpg", "b.jpg"]

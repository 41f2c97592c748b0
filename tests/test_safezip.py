"""Uploaded zips: bombs, forged sizes, too many members, paths and links are refused whole."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from deertrack_core.errors import IngestError
from deertrack_core.safezip import ZipLimits, extract_zip

MIB = 1 << 20


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A real zip bomb: 0.41 MB that expands to 419 MB (400 MiB of zeros named like a photo)."""
    path = tmp_path_factory.mktemp("bomb") / "season.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("North/IMG_0001.JPG", "w", force_zip64=True) as member:
            zeros = bytes(MIB)
            for _ in range(400):
                member.write(zeros)
    return path


def _zip(members: dict[str, bytes], **kwargs) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, **kwargs) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    buf.seek(0)
    return buf


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_photos_unpack(tmp_path):
    photos = {f"North/IMG_{i}.JPG": os.urandom(5000) for i in range(3)}
    assert extract_zip(_zip(photos), tmp_path / "up") == 3
    assert (tmp_path / "up" / "North" / "IMG_1.JPG").read_bytes() == photos["North/IMG_1.JPG"]


def test_a_zip_bomb_is_refused_before_anything_is_written(bomb, tmp_path):
    assert 0.40e6 < bomb.stat().st_size < 0.42e6
    with zipfile.ZipFile(bomb) as zf:
        assert zf.infolist()[0].file_size == 419_430_400
    with pytest.raises(IngestError, match="zip bomb"):
        extract_zip(bomb, tmp_path / "up")
    with pytest.raises(IngestError, match="zip bomb"):  # as the upload widget hands it over
        extract_zip(io.BytesIO(bomb.read_bytes()), tmp_path / "up")
    assert _left(tmp_path / "up") == []


def test_the_upload_page_helper_uses_the_safe_unzip(bomb, tmp_path):
    from ui import uploads

    with pytest.raises(IngestError, match="zip bomb"):
        uploads.extract_zip(bomb, tmp_path / "up")


def test_many_small_members_adding_up_to_a_bomb_are_refused(tmp_path):
    buf = _zip({f"S/{i}.JPG": bytes(MIB) for i in range(20)})  # 20 MiB from ~20 KB
    with pytest.raises(IngestError, match="zip bomb"):
        extract_zip(buf, tmp_path / "up")
    assert _left(tmp_path / "up") == []


def _forge_size(buf: io.BytesIO, declared: int) -> io.BytesIO:
    """Rewrite the member's uncompressed size in its local and central headers."""
    raw = bytearray(buf.getvalue())
    local = raw.index(b"PK\x03\x04")
    struct.pack_into("<I", raw, local + 22, declared)
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, declared)
    return io.BytesIO(bytes(raw))


def test_a_member_that_lies_about_its_size_is_refused_and_removed(tmp_path):
    forged = _forge_size(_zip({"S/a.JPG": bytes(10 * MIB)}), 1000)
    with zipfile.ZipFile(forged) as zf:
        assert zf.infolist()[0].file_size == 1000  # the directory claims 1000 bytes
    with pytest.raises(IngestError):
        extract_zip(forged, tmp_path / "up")
    assert _left(tmp_path / "up") == []


def test_too_many_members_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_UNZIP_MAX_FILES", "10")
    with pytest.raises(IngestError, match="11 entries; at most 10") as caught:
        extract_zip(_zip({f"{i}.JPG": b"x" for i in range(11)}), tmp_path / "up")
    assert "DEERTRACK_UNZIP_MAX_FILES" in caught.value.fix


def test_too_many_bytes_are_refused(tmp_path):
    limits = ZipLimits(max_bytes=1000, max_files=10, max_ratio=50)
    with pytest.raises(IngestError, match="expand to"):
        extract_zip(_zip({"a.JPG": os.urandom(600), "b.JPG": os.urandom(600)}), tmp_path, limits)
    assert _left(tmp_path) == []


@pytest.mark.parametrize("name", ["../evil.jpg", "/etc/evil.jpg", "a/../../evil.jpg"])
def test_paths_outside_the_folder_are_refused(tmp_path, name):
    with pytest.raises(IngestError, match="outside its folder"):
        extract_zip(_zip({"ok.jpg": b"x", name: b"x"}), tmp_path / "in")
    assert _left(tmp_path) == []


def test_links_and_passwords_are_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("S/passwd.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(IngestError, match="symbolic link"):
        extract_zip(io.BytesIO(buf.getvalue()), tmp_path / "up")
    raw = bytearray(_zip({"S/a.jpg": b"x"}).getvalue())  # then mark it encrypted (bit 0)
    raw[raw.index(b"PK\x03\x04") + 6] |= 0x1
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1
    with pytest.raises(IngestError, match="encrypted"):
        extract_zip(io.BytesIO(bytes(raw)), tmp_path / "up")


def test_files_already_in_the_folder_stay_when_a_zip_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(IngestError):
        extract_zip(_zip({"a.jpg": b"x", "../b.jpg": b"x"}), tmp_path)
    assert _left(tmp_path) == ["keep.txt"]

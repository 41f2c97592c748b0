"""Reading one photo: EXIF time, file-name times, XMP tags, unreadable files (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from deertrack_core.ingest.exif import (
    PhotoReadError,
    camtrapr_station,
    parse_exif_time,
    parse_filename_time,
    parse_xmp_tags,
    read_photo,
)
from tests.ingest.photos import make_jpeg, xmp_packet

T0 = dt.datetime(2024, 10, 3, 6, 15, 42)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("StationA__2009-04-21__00-40-00(1).JPG", dt.datetime(2009, 4, 21, 0, 40, 0)),
        ("StationA__CamB__2009-04-21__00-40-05(2).JPG", dt.datetime(2009, 4, 21, 0, 40, 5)),
        ("20210531082538-RCNX0031.JPG", dt.datetime(2021, 5, 31, 8, 25, 38)),
        ("IMG_20210531_082538.jpg", dt.datetime(2021, 5, 31, 8, 25, 38)),
        ("2021-05-31 08-25-38.jpg", dt.datetime(2021, 5, 31, 8, 25, 38)),
        ("CA-01_0007135.jpg", None),
        ("IMG0001.JPG", None),
        ("20211399082538.jpg", None),  # month 13: not a date
    ],
)
def test_file_name_times(name, expected):
    assert parse_filename_time(name) == expected


def test_camtrapr_names_give_station_and_camera():
    assert camtrapr_station("StationA__2009-04-21__00-40-00(1).JPG") == ("StationA", "")
    assert camtrapr_station("StationA__Cam1__2009-04-21__00-40-00(1).JPG") == ("StationA", "Cam1")
    assert camtrapr_station("IMG0001.JPG") is None


@pytest.mark.parametrize(
    ("value", "subsec", "expected"),
    [
        ("2009:04:10 05:07:00", None, dt.datetime(2009, 4, 10, 5, 7)),
        (b"2009:04:10 05:07:00\x00", None, dt.datetime(2009, 4, 10, 5, 7)),
        ("2009-04-10T05:07:00", None, dt.datetime(2009, 4, 10, 5, 7)),
        ("2009:04:10 05:07:00", "25", dt.datetime(2009, 4, 10, 5, 7, 0, 250000)),
        ("0000:00:00 00:00:00", None, None),
        ("    :  :     :  :  ", None, None),
        (None, None, None),
    ],
)
def test_exif_time_values(value, subsec, expected):
    assert parse_exif_time(value, subsec) == expected


def test_xmp_hierarchical_subject_gives_species_and_individual():
    packet = xmp_packet("Species|Leopard Cat", "individual|3")
    assert parse_xmp_tags(packet) == ("Leopard Cat", "3")


def test_xmp_deeper_hierarchy_gives_the_last_level():
    assert parse_xmp_tags(xmp_packet("Species|Cervidae|White-tailed deer")) == (
        "White-tailed deer",
        None,
    )


def test_xmp_absent_or_untagged_gives_nothing():
    assert parse_xmp_tags(None) == (None, None)
    assert parse_xmp_tags(xmp_packet("Keyword")) == (None, None)


def test_read_photo_with_exif(tmp_path):
    path = make_jpeg(
        tmp_path / "a.jpg",
        when=T0,
        make="RECONYX",
        model="HC600",
        orientation=6,
        size=(80, 60),
        xmp=xmp_packet("Species|Deer", "individual|B7"),
    )
    info = read_photo(path)
    assert (info.width, info.height, info.orientation) == (80, 60, 6)
    assert (info.make, info.model) == ("RECONYX", "HC600")
    assert (info.camera_time, info.time_source) == (T0, "exif")
    assert (info.species_tag, info.individual_tag) == ("Deer", "B7")
    assert info.file_size == path.stat().st_size
    assert len(info.sha256) == 64


def test_read_photo_without_exif_takes_the_file_name_time(tmp_path):
    info = read_photo(make_jpeg(tmp_path / "20210531082538-RCNX0031.JPG"))
    assert (info.camera_time, info.time_source) == (dt.datetime(2021, 5, 31, 8, 25, 38), "filename")


def test_read_photo_without_any_time_is_untimed(tmp_path):
    info = read_photo(make_jpeg(tmp_path / "IMG0001.JPG"))
    assert (info.camera_time, info.time_source) == (None, "none")


def test_read_photo_rejects_garbage(tmp_path):
    path = tmp_path / "bad.jpg"
    path.write_bytes(b"this is not a photo at all" * 10)
    with pytest.raises(PhotoReadError, match="not a readable image"):
        read_photo(path)


def test_read_photo_rejects_an_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(PhotoReadError, match="empty file"):
        read_photo(path)


def test_read_photo_rejects_a_truncated_jpeg(tmp_path):
    good = make_jpeg(tmp_path / "good.jpg", when=T0, size=(320, 240)).read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(PhotoReadError, match="truncated JPEG"):
        read_photo(path)


def test_read_photo_reads_a_real_cuddeback_frame(shared_data):
    info = read_photo(shared_data / "camtrapR/raw_images/StationA/IMG0001.JPG")
    assert (info.make, info.model) == ("G4", "CUDDEBACK")
    assert info.camera_time == dt.datetime(2009, 4, 10, 5, 7)
    assert (info.width, info.height) == (100, 75)

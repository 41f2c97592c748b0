"""Which deployment a photo belongs to: folder layouts and deployments CSV (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

import pytest

from deertrack_core.errors import IngestError
from deertrack_core.ingest.layout import Locator, read_deployments_csv, walk_images

ROOT = Path("/data/season")


def place(rel: str, layout: str = "auto", rows=None, when=None):
    return Locator(ROOT, layout, rows).place(PurePosixPath(rel), when)


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("StationA/IMG0001.JPG", ("StationA", "", None)),
        ("raw_images/StationB/IMG0001.JPG", ("StationB", "", None)),
        ("S1/DCIM/100RECNX/IMG_0001.JPG", ("S1", "", None)),
        ("S1/2024-09/IMG_0001.JPG", ("S1", "", None)),
        ("IMG0001.JPG", ("season", "", None)),
        ("StationC/TRA/StationC__2009-04-06__03-00-00(1).JPG", ("StationC", "", "TRA")),
        ("LeopardCat/StationA__2009-04-21__00-40-00(1).JPG", ("StationA", "", None)),
        ("S2/C1/PBE/S2__C1__2009-04-21__00-40-00(1).JPG", ("S2", "C1", "PBE")),
    ],
)
def test_auto_layout(rel, expected):
    p = place(rel)
    assert (p.station, p.camera, p.species) == expected


@pytest.mark.parametrize(
    ("layout", "rel", "expected"),
    [
        ("station", "S1/sub/IMG.JPG", ("S1", "", None)),
        ("station/camera", "S1/CamA/IMG.JPG", ("S1", "CamA", None)),
        ("station/camera", "S1/IMG.JPG", ("S1", "", None)),
        ("station/species", "S1/DEER/IMG.JPG", ("S1", "", "DEER")),
        ("station/camera/species", "S1/C/DEER/IMG.JPG", ("S1", "C", "DEER")),
        ("*/station", "2024/S9/IMG.JPG", ("S9", "", None)),
    ],
)
def test_pattern_layouts(layout, rel, expected):
    p = place(rel, layout)
    assert (p.station, p.camera, p.species) == expected


def test_unknown_layout_is_refused():
    with pytest.raises(IngestError, match="Unknown folder layout 'camera/site'"):
        Locator(ROOT, "camera/site")


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def test_deployments_csv_reads_aliases_and_defaults(tmp_path):
    rows = read_deployments_csv(
        write_csv(
            tmp_path / "d.csv",
            """
Station,Camera,Lat,Lon,Start,End,TZ,clock_offset_s,Notes
S1,C1,45.5,-122.1,2024-09-01,2025-01-31T23:59:59,America/Chicago,-3600,oak ridge
S2,,,,,,,,
""",
        )
    )
    assert rows[0].folder == "S1/C1" and rows[1].folder == "S2"
    assert (rows[0].latitude, rows[0].longitude, rows[0].clock_offset_s) == (45.5, -122.1, -3600.0)
    assert rows[0].start == dt.datetime(2024, 9, 1) and rows[0].timezone == "America/Chicago"
    assert rows[0].end == dt.datetime(2025, 1, 31, 23, 59, 59) and rows[0].notes == "oak ridge"
    assert rows[1].clock_offset_s is None


def test_deployments_csv_without_station_column_is_refused(tmp_path):
    path = write_csv(tmp_path / "d.csv", "site_name,camera\nA,B")
    with pytest.raises(IngestError, match="has no station column"):
        read_deployments_csv(path)


def test_deployments_csv_bad_number_names_the_line(tmp_path):
    path = write_csv(tmp_path / "d.csv", "station,lat\nA,45.1\nB,north")
    with pytest.raises(IngestError, match="line 3: lat 'north' is not a number"):
        read_deployments_csv(path)


def test_deployments_csv_bad_date_names_the_line(tmp_path):
    path = write_csv(tmp_path / "d.csv", "station,start\nA,31/12/2024")
    with pytest.raises(IngestError, match="line 2: start '31/12/2024' is not a date"):
        read_deployments_csv(path)


def test_csv_rows_match_the_longest_folder_and_the_time_window(tmp_path):
    rows = read_deployments_csv(
        write_csv(
            tmp_path / "d.csv",
            """
station,camera,folder,start,end
North,,north,,
North,autumn,north/cam,2024-09-01,2024-10-31
North,winter,north/cam,2024-11-01,2025-01-31
""",
        )
    )
    assert place("north/x/IMG.JPG", rows=rows).camera == ""
    autumn = place("north/cam/IMG.JPG", rows=rows, when=dt.datetime(2024, 10, 31, 23, 0))
    winter = place("north/cam/IMG.JPG", rows=rows, when=dt.datetime(2024, 12, 2))
    assert (autumn.camera, winter.camera) == ("autumn", "winter")


def test_csv_that_covers_no_folder_of_a_photo_is_an_error(tmp_path):
    rows = read_deployments_csv(write_csv(tmp_path / "d.csv", "station,folder\nA,a"))
    with pytest.raises(IngestError, match="covers the folder 'b/c'"):
        place("b/c/IMG.JPG", rows=rows)


def test_walk_finds_photos_and_skips_hidden_and_other_files(tmp_path):
    for rel in ("S1/a.JPG", "S1/b.jpeg", "S2/c.png", "S1/._a.JPG", ".thumbs/d.jpg"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    (tmp_path / "S1" / "clip.mp4").write_bytes(b"x")
    files, ignored = walk_images(tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "S1/a.JPG",
        "S1/b.jpeg",
        "S2/c.png",
    ]
    assert ignored == 1

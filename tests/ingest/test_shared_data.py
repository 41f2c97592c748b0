"""Ingest and MegaDetector import on the real photos of ../shared/data (skipped when absent)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from deertrack_core import db
from deertrack_core.errors import DetectionFileError
from deertrack_core.ingest import import_detections, ingest_folder
from deertrack_core.ingest.plausible import AMPM_UNSURE
from deertrack_core.models import Deployment, Detection, Image


def count(url, model) -> int:
    with db.session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_camtrapr_stations_exif_and_individuals(url, shared_data):
    summary = ingest_folder(shared_data / "camtrapR", url=url)
    # 169 photos, 6 of them byte-identical copies (same photo in two sample folders).
    assert (summary.ingested, summary.duplicates, summary.failed) == (163, 6, [])
    # Only the full-size OCR frame has no EXIF time and no date in its name: its data bar says
    # "2018-10-19 10:35:09 PM M 2/3" (read by eye).
    assert (summary.untimed, summary.databar_timed) == (0, 1)
    with db.session_scope(url) as s:
        stations = set(s.scalars(select(Deployment.station)))
        individuals = s.execute(
            select(Image.individual_tag, Image.species_tag, func.count())
            .where(Image.individual_tag.is_not(None))
            .group_by(Image.individual_tag, Image.species_tag)
        ).all()
        raw = s.scalars(
            select(Image).where(Image.path.like("%raw_images/StationA/IMG0001.JPG"))
        ).one()
    assert stations == {"StationA", "StationB", "StationC"}
    assert sorted(individuals) == [
        ("1", "Leopard Cat", 12),
        ("2", "Leopard Cat", 11),
        ("3", "Leopard Cat", 3),
    ]
    assert (raw.make, raw.model, raw.width, raw.height) == ("G4", "CUDDEBACK", 100, 75)
    assert raw.captured_at == dt.datetime(2009, 4, 10, 5, 7)
    with db.session_scope(url) as s:
        ocr = s.scalars(select(Image).where(Image.path.like("%full_size_for_ocr/%"))).one()
    assert (ocr.captured_at, ocr.time_source) == (dt.datetime(2018, 10, 19, 22, 35, 9), "databar")


def test_megadetector_sample_is_matched_and_imported(url, shared_data):
    folder = shared_data / "megadetector-samples"
    assert ingest_folder(folder, url=url).ingested == 31
    md = json.loads((folder / "md_v5a_output.json").read_text())
    expected = sum(d["conf"] >= 0.2 for im in md["images"] for d in im["detections"])
    summary = import_detections(folder / "md_v5a_output.json", url=url)
    assert (summary.images_matched, summary.unmatched_files) == (31, [])
    assert summary.detections_stored == expected == count(url, Detection)
    again = import_detections(folder / "md_v5a_output.json", url=url)
    assert (again.detections_stored, count(url, Detection)) == (expected, expected)


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch) -> str:
    """SQLite only: OCR of 245 frames takes minutes and does not depend on the database."""
    from deertrack_core.models import Base

    url = f"sqlite:///{tmp_path / 'ocr.db'}"
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    Base.metadata.create_all(db.get_engine(url))
    yield url
    db.dispose(url)


def test_mlwic_elk_without_exif_is_timed_from_its_data_bar(sqlite_url, shared_data):
    # 256x256 frames whose bar text is 5 pixels high: about half are read; the date and the
    # 12-hour clock time come out right, "AM"/"PM" cannot be told apart at that size, so every
    # reading is kept but flagged for a person to confirm (and stays out of the analyses).
    url = sqlite_url
    summary = ingest_folder(shared_data / "mlwic-elk", url=url)
    assert (summary.ingested, summary.failed) == (245, [])
    assert summary.databar_timed + summary.untimed == 245
    assert summary.databar_timed >= 100
    with db.session_scope(url) as s:
        rows = s.execute(
            select(Image.path, Image.captured_at, Image.time_source, Image.time_problem)
            .where(Image.captured_at.is_not(None))
            .order_by(Image.path)
        ).all()
        dep = s.scalars(select(Deployment)).one()
    assert {(src, problem) for _, _, src, problem in rows} == {("databar-ampm", AMPM_UNSURE)}
    assert len(summary.implausible) == len(rows)
    # Read by eye: "2015-11-30 3:54:55 PM M 4/5".
    first = rows[0]
    assert first.path.endswith("mlwic-elk/images/CA-01_0006528.jpg")
    assert (first.captured_at.date(), first.captured_at.strftime("%I:%M:%S")) == (
        dt.date(2015, 11, 30), "03:54:55",
    )  # fmt: skip
    # Photos whose time is not trusted make no deployment span.
    assert (dep.start, dep.end) == (None, None)


def test_idaho_frame_is_timed_from_its_data_bar(url, shared_data):
    summary = ingest_folder(shared_data / "idaho-deer", url=url)
    assert (summary.ingested, summary.databar_timed) == (1, 1)
    with db.session_scope(url) as s:
        image = s.scalars(select(Image)).one()
    assert (image.captured_at, image.time_source) == (dt.datetime(2016, 2, 4, 9, 23, 24), "databar")


def _drop_detections(d):
    d["images"][3]["detections"] = None


def _bad_bbox(d):
    d["images"][6]["detections"][1]["bbox"] = [0.5, 0.5, "wide", 0.1]


def _bad_category(d):
    d["images"][0]["detections"][0]["category"] = "9"


def _truncate(d):
    return json.dumps(d)[:5000]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_drop_detections, r"images\[3\] \(.+\): 'detections' is null"),
        (_bad_bbox, r"images\[6\] \(.+\) detections\[1\]: bbox .* is not four numbers"),
        (_bad_category, r"images\[0\] \(.+\) detections\[0\]: category '9'"),
        (_truncate, "not valid JSON"),
    ],
)
def test_damaged_real_md_file_leaves_the_database_unchanged(
    url, shared_data, tmp_path, damage, message
):
    folder = shared_data / "megadetector-samples"
    ingest_folder(folder, url=url)
    data = copy.deepcopy(json.loads((folder / "md_v5a_output.json").read_text()))
    text = damage(data) or json.dumps(data)
    bad = tmp_path / "damaged.json"
    bad.write_text(text)
    with pytest.raises(DetectionFileError, match=message):
        import_detections(bad, url=url)
    assert count(url, Detection) == 0

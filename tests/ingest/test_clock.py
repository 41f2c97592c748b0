"""Clock correction re-times a deployment's photos and what derives from their times."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.ingest import assign_sequences, ingest_folder, set_clock_offset
from deertrack_core.models import Correction, Deer, Deployment, Detection, Image
from tests.ingest.photos import make_jpeg

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def two_cameras(url, tmp_path):
    for i, s in enumerate([0, 5, 60]):
        make_jpeg(tmp_path / "S1" / f"{i}.jpg", when=T0 + dt.timedelta(seconds=s))
    make_jpeg(tmp_path / "S1" / "untimed.jpg")
    make_jpeg(tmp_path / "S2" / "x.jpg", when=T0)
    ingest_folder(tmp_path, url=url)
    with db.session_scope(url) as s:
        return {d.station: d.id for d in s.scalars(select(Deployment))}


def test_set_clock_offset_retimes_the_deployments_photos_only(url, two_cameras):
    s1, s2 = two_cameras["S1"], two_cameras["S2"]
    with db.session_scope(url) as s:
        assert set_clock_offset(s, s1, 3600, "ana") == 3
    with db.session_scope(url) as s:
        rows = s.execute(select(Image.deployment_id, Image.camera_time, Image.captured_at)).all()
        dep = s.get(Deployment, s1)
        assert (dep.clock_offset_s, dep.start, dep.end) == (
            3600.0,
            T0 + HOUR,
            T0 + HOUR + dt.timedelta(seconds=60),
        )
    for dep_id, camera_time, captured in rows:
        if camera_time is None:
            assert captured is None
        elif dep_id == s1:
            assert captured == camera_time + HOUR
        else:
            assert dep_id == s2 and captured == camera_time


def test_set_clock_offset_is_absolute_not_cumulative(url, two_cameras):
    s1 = two_cameras["S1"]
    for offset in (3600, -30):
        with db.session_scope(url) as s:
            set_clock_offset(s, s1, offset, "ana")
    with db.session_scope(url) as s:
        captured = s.scalars(select(Image.captured_at).where(Image.path == "S1/0.jpg")).one()
    assert captured == T0 - dt.timedelta(seconds=30)


def test_set_clock_offset_writes_an_audit_row(url, two_cameras):
    with db.session_scope(url) as s:
        set_clock_offset(s, two_cameras["S1"], -120.5, "ana")
    with db.session_scope(url) as s:
        (c,) = s.scalars(select(Correction)).all()
    assert (c.entity, c.entity_id, c.field) == ("deployment", two_cameras["S1"], "clock_offset_s")
    assert (c.old_value, c.new_value, c.changed_by, c.action) == (
        "0.0",
        "-120.5",
        "ana",
        "set_clock",
    )


def test_set_clock_offset_moves_the_deers_first_and_last_sightings(url, two_cameras):
    with db.session_scope(url) as s:
        image = s.scalars(select(Image).where(Image.path == "S1/2.jpg")).one()
        deer = Deer(name="B1", first_seen=image.captured_at, last_seen=image.captured_at)
        s.add(deer)
        s.flush()
        s.add(Detection(image_id=image.id, x=0, y=0, w=0.5, h=0.5, deer_id=deer.id))
    with db.session_scope(url) as s:
        set_clock_offset(s, two_cameras["S1"], 7200, "ana")
    with db.session_scope(url) as s:
        deer = s.scalars(select(Deer)).one()
    expected = T0 + dt.timedelta(seconds=60) + 2 * HOUR
    assert (deer.first_seen, deer.last_seen) == (expected, expected)


def test_sequences_follow_the_corrected_times(url, two_cameras):
    with db.session_scope(url) as s:
        set_clock_offset(s, two_cameras["S1"], 86400, "ana")
        assert assign_sequences(s, [two_cameras["S1"]], gap_s=10) == 2
        seq = dict(s.execute(select(Image.path, Image.sequence_id)).all())
    assert seq["S1/0.jpg"] == seq["S1/1.jpg"] != seq["S1/2.jpg"]
    assert seq["S1/untimed.jpg"] is None


def test_unknown_deployment_is_not_found(session):
    with pytest.raises(NotFoundError, match="no deployment 999"):
        set_clock_offset(session, 999, 60, "ana")


@pytest.mark.parametrize("offset", [1e12, float("nan")])
def test_an_offset_of_more_than_ten_years_is_refused(offset):
    # Checked before the database is touched: no session needed.
    with pytest.raises(ValidationError, match="not within ten years"):
        set_clock_offset(None, 1, offset, "ana")


def test_a_changed_csv_offset_retimes_photos_ingested_before(url, tmp_path):
    make_jpeg(tmp_path / "cams" / "S1" / "a.jpg", when=T0)
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("station,clock_offset_s\nS1,0\n")
    ingest_folder(tmp_path / "cams", url=url, deployments_csv=csv_path)
    make_jpeg(tmp_path / "cams" / "S1" / "b.jpg", when=T0 + HOUR)
    csv_path.write_text("station,clock_offset_s\nS1,60\n")
    ingest_folder(tmp_path / "cams", url=url, deployments_csv=csv_path)
    with db.session_scope(url) as s:
        captured = dict(s.execute(select(Image.path, Image.captured_at)).all())
        audit = s.scalars(select(Correction.new_value)).all()
    minute = dt.timedelta(seconds=60)
    assert captured == {"cams/S1/a.jpg": T0 + minute, "cams/S1/b.jpg": T0 + HOUR + minute}
    assert audit == ["60.0"]

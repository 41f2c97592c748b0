"""The core writes check the role themselves and record the signed-in user."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from deertrack_core import auth, db
from deertrack_core.errors import AuthenticationError, IngestError, PermissionDeniedError
from deertrack_core.ingest import import_detections, ingest_folder, set_clock_offset
from deertrack_core.models import Correction, Deployment, Image, ReidSetting
from deertrack_core.reid.active import record as apply_threshold
from tests.ingest.photos import make_jpeg

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


@pytest.fixture
def station(url, people, tmp_path) -> int:
    make_jpeg(tmp_path / "photos" / "S1" / "a.jpg", when=T0)
    ingest_folder(tmp_path / "photos", url=url, actor=people["admin"])
    with db.session_scope(url) as s:
        return s.scalars(select(Deployment.id)).one()


def _count(url, model) -> int:
    with db.session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_clock_changes_need_an_admin_and_record_who(url, people, station):
    with db.session_scope(url) as s, pytest.raises(PermissionDeniedError, match="rex is a"):
        set_clock_offset(s, station, 60, actor=people["reviewer"])
    with db.session_scope(url) as s:
        set_clock_offset(s, station, 60, actor=people["admin"])
    with db.session_scope(url) as s:
        who = s.scalars(select(Correction.changed_by).where(Correction.field == "clock_offset_s"))
        assert list(who) == ["ada"]
        assert s.scalars(select(Image.captured_at)).one() == T0 + dt.timedelta(seconds=60)


def test_the_console_acts_as_an_admin_under_the_login(url, people, station, monkeypatch):
    monkeypatch.setenv("DEERTRACK_USER", "night-shift")
    with db.session_scope(url) as s:
        set_clock_offset(s, station, 5, actor=auth.Actor.console())
        assert s.scalars(select(Correction.changed_by)).all()[-1] == "night-shift"


def test_applying_a_threshold_needs_an_admin_and_records_who(url, people):
    kwargs = {"model": "m", "goal": "f1", "evidence": {}}
    with db.session_scope(url) as s:
        with pytest.raises(PermissionDeniedError):
            apply_threshold(s, 0.8, actor=people["reviewer"], **kwargs)
        with pytest.raises(AuthenticationError):
            apply_threshold(s, 0.8, user="someone", **kwargs)  # the old call: nobody signed in
        apply_threshold(s, 0.8, actor=people["admin"], **kwargs)
    with db.session_scope(url) as s:
        assert s.scalars(select(ReidSetting.set_by)).all() == ["ada"]


def test_ingest_and_detection_import_need_an_admin(url, people, tmp_path):
    make_jpeg(tmp_path / "more" / "S2" / "b.jpg", when=T0)
    with pytest.raises(PermissionDeniedError, match="to ingest photos"):
        ingest_folder(tmp_path / "more", url=url, actor=people["reviewer"])
    md = tmp_path / "more" / "md.json"
    md.write_text('{"images": [], "info": {"format_version": "1.3"}}')
    with pytest.raises(PermissionDeniedError, match="to import detections"):
        import_detections(md, url=url, actor=people["viewer"])
    assert _count(url, Image) == 0


def test_a_signed_in_admin_ingests_only_under_the_data_root(url, people, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    make_jpeg(elsewhere / "S1" / "a.jpg", when=T0)
    with pytest.raises(IngestError, match="outside the data root") as caught:
        ingest_folder(elsewhere, url=url, actor=people["admin"])
    assert "DEERTRACK_DATA_ROOT" in caught.value.fix
    md = elsewhere / "md.json"
    md.write_text("{}")
    with pytest.raises(IngestError, match="outside the data root"):
        import_detections(md, url=url, actor=people["admin"])
    assert _count(url, Image) == 0
    # The CLI on the server (the console) may ingest any folder its login can read.
    assert ingest_folder(elsewhere, url=url, actor=auth.Actor.console()).ingested == 1


def test_a_link_inside_the_data_root_pointing_outside_is_not_followed(url, people, tmp_path):
    secret = tmp_path.parent / f"{tmp_path.name}-private"
    make_jpeg(secret / "private.jpg", when=T0)
    make_jpeg(tmp_path / "cams" / "S1" / "ok.jpg", when=T0)
    (tmp_path / "cams" / "S1" / "peek.jpg").symlink_to(secret / "private.jpg")
    (tmp_path / "cams" / "linked").symlink_to(secret)
    summary = ingest_folder(tmp_path / "cams", url=url, actor=people["admin"])
    assert summary.ingested == 1
    assert [(p.path, p.reason) for p in summary.failed] == [
        ("S1/peek.jpg", "a link to a file outside the data root (not followed)")
    ]
    with pytest.raises(IngestError, match="outside the data root"):
        ingest_folder(tmp_path / "cams" / "linked", url=url, actor=people["admin"])

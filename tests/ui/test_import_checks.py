"""The Import page's checks (issue 8): find animals, suspected static boxes, implausible times,
species per source; each action goes through the core and shows in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.ingest.plausible import AMPM_UNSURE
from deertrack_core.models import Correction, Detection, Image, RepeatGroup
from tests.ui.conftest import run_page
from ui import state as K


def _flag(archive, session) -> tuple[int, list[int]]:
    """A suspected static group over the first camera's boxes, and two unsure data-bar times."""
    dep = archive.deployments[0]
    group = RepeatGroup(deployment_id=dep, x=0.3, y=0.3, w=0.2, h=0.2, photos=3)
    session.add(group)
    session.flush()
    dets = session.scalars(
        select(Detection).join(Image).where(Image.deployment_id == dep).limit(3)
    ).all()
    for d in dets:
        d.repeat_group_id = group.id
    images = session.scalars(select(Image).order_by(Image.id).limit(2)).all()
    for image in images:
        image.time_source, image.time_problem = "databar-ampm", AMPM_UNSURE
    dets[0].species, dets[0].species_source = "elk", "speciesnet"
    dets[0].species_taxonomy = ";mammalia;cetartiodactyla;cervidae;cervus;canadensis;elk;"
    session.commit()
    return group.id, [i.id for i in images]


def test_without_a_detector_the_page_says_how_to_set_one(archive, session, db_url, monkeypatch):
    monkeypatch.delenv("DEERTRACK_DETECTOR", raising=False)
    _flag(archive, session)
    at = run_page("import_data.py")
    assert not at.exception
    assert any("DEERTRACK_DETECTOR=onnx:" in i.value for i in at.info)
    assert [s.value for s in at.subheader][-4:] == [
        "Find animals", "Suspected static boxes", "Implausible times", "Species",
    ]  # fmt: skip
    species = at.dataframe[-1].value
    assert ("elk", False) in set(zip(species["species"], species["target"], strict=True))


def test_a_static_group_is_confirmed_in_one_click(archive, session, db_url):
    group_id, _ = _flag(archive, session)
    at = run_page("import_data.py")
    at.button(key=f"field_static_{group_id}").click().run()
    assert not at.exception
    with db.session_scope(db_url) as s:
        assert s.get(RepeatGroup, group_id).status == "confirmed"
    assert any("static object" in m.value for m in at.success)
    keys = [b.key for b in at.button]
    assert f"field_static_{group_id}" not in keys  # no longer suspected


def test_not_static_dismisses_the_group(archive, session, db_url):
    group_id, _ = _flag(archive, session)
    at = run_page("import_data.py")
    at.button(key=f"field_real_{group_id}").click().run()
    with db.session_scope(db_url) as s:
        assert s.get(RepeatGroup, group_id).status == "dismissed"


def test_unsure_am_pm_times_are_confirmed_in_bulk_and_audited(archive, session, db_url):
    _, ids = _flag(archive, session)
    at = run_page("import_data.py")
    assert at.button(key="field_ampm_confirm").label == "Confirm 2 as read"
    at.button(key="field_ampm_swap").click().run()
    assert not at.exception
    with db.session_scope(db_url) as s:
        got = {i.id: (i.time_source, i.time_problem) for i in s.scalars(select(Image))}
        audit = s.scalars(select(Correction).where(Correction.entity == "image")).all()
    assert all(got[i] == ("databar", None) for i in ids)
    assert {a.entity_id for a in audit if a.field == "captured_at"} == set(ids)


def test_a_photos_time_is_set_from_the_page(archive, session, db_url):
    import datetime as dt

    _, ids = _flag(archive, session)
    at = run_page("import_data.py")
    at.selectbox(key="field_time_photo").set_value(ids[1])
    at.date_input(key="field_time_day").set_value(dt.date(2025, 10, 2))
    at.time_input(key="field_time_at").set_value(dt.time(18, 30))
    at.button(key="field_time_set").click().run()
    assert not at.exception
    with db.session_scope(db_url) as s:
        image = s.get(Image, ids[1])
    assert (image.captured_at, image.time_source) == (dt.datetime(2025, 10, 2, 18, 30), "manual")


def test_find_animals_queues_the_detect_job(archive, session, monkeypatch, tmp_path):
    from jobs import config

    model = tmp_path / "tiny.onnx"
    model.write_bytes(b"stand-in: the job is only queued")
    monkeypatch.setenv("DEERTRACK_DETECTOR", f"onnx:{model}")
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "0")
    config.configure()
    try:
        at = run_page("import_data.py")
        assert any("tiny.onnx" in m.value for m in at.markdown)
        at.button(key="field_detect").click().run()
        assert not at.exception
        job = at.session_state[K.DETECT_JOB]
        from deertrack_core.jobstatus import get_store

        state = get_store().get(job)
        assert (state.kind, state.status) == ("detect", "queued")
    finally:
        monkeypatch.undo()
        config.configure()


def test_find_animals_runs_the_real_detector_and_reports_it(archive, session, monkeypatch):
    """Immediate mode: the job runs in-process with the stand-in YOLOX model of ../shared."""
    from jobs import config
    from tests.conftest import shared_dir

    shared = shared_dir()
    model = shared / "models" / "yolox_nano_coco.onnx" if shared else None
    if model is None or not model.is_file():
        pytest.skip("../shared/models/yolox_nano_coco.onnx is not here")
    monkeypatch.setenv("DEERTRACK_DETECTOR", f"onnx:{model}")
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    config.configure()
    try:
        at = run_page("import_data.py", timeout=120)
        at.button(key="field_detect").click().run()
        assert not at.exception
        from deertrack_core.jobstatus import get_store

        state = get_store().get(at.session_state[K.DETECT_JOB])
        assert state.status == "completed", state.error
        photos = state.result["photos"]
        assert photos == len(archive.pending_tracks) + 2 + len(archive.reviewed)  # all of them
        assert any(f"Looked at {photos:,} photos" in c.value for c in at.caption)
        # a second run would add nothing: the page says so and the button rests
        assert any(f"0 photos it has not looked at yet ({photos:,} done before)" in m.value
                   for m in at.markdown)  # fmt: skip
        assert at.button(key="field_detect").disabled
    finally:
        monkeypatch.undo()
        config.configure()


def test_an_empty_archive_shows_calm_checks(empty_db, monkeypatch):
    monkeypatch.delenv("DEERTRACK_DETECTOR", raising=False)
    at = run_page("import_data.py")
    assert not at.exception
    captions = "\n".join(c.value for c in at.caption)
    assert "No box recurs" in captions and "Every photo's time is plausible" in captions

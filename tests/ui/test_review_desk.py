"""The review desk in AppTest: compare, zoom, burst frames, whole photo, box edits with undo."""

from __future__ import annotations

from sqlalchemy import select

from deertrack_core import db
from deertrack_core.models import Correction, Detection
from tests.ui.conftest import run_page
from ui import state as K


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _captions(at) -> list[str]:
    return [c for img in at.image for c in img.captions]


def _view_urls(at) -> list[str]:
    """The two big pictures of the compare view (the detection, then the candidate)."""
    return [img.value[0] for img in at.image if img.captions[0].startswith(("This", "Candidate"))]


def test_compare_shows_the_detection_beside_its_best_candidate(archive):
    at = run_page("review.py")
    assert not at.exception
    caps = _captions(at)
    assert any(c.startswith("This detection · North/C1") for c in caps)
    assert any(c.startswith("Candidate 1: Deer 001 · picture 1 of") for c in caps)
    assert any("score 0.860 ≥ threshold 0.850" in m.value for m in at.markdown)


def test_compare_with_another_candidate_and_step_its_pictures(archive):
    at = run_page("review.py")
    at.button(key="review_compare_1").click().run()
    assert any(c.startswith("Candidate 2: ") for c in _captions(at))
    at.button(key="review_cand_down").click().run()  # key ↓
    assert any(c.startswith("Candidate 3: ") for c in _captions(at))
    at.button(key="review_cand_down").click().run()  # wraps round to the first
    assert any(c.startswith("Candidate 1: ") for c in _captions(at))


def test_zoom_changes_both_pictures_the_same_way(archive):
    at = run_page("review.py")
    before = _view_urls(at)
    at.button(key="review_zoom_in").click().run()  # key Z
    assert at.session_state[K.REVIEW_ZOOM] == 1.5
    after = _view_urls(at)
    assert len(before) == len(after) == 2 and not set(before) & set(after)
    at.select_slider(key=K.REVIEW_ZOOM).set_value(1.0).run()
    assert _view_urls(at) == before  # back at 1x: the same pictures again (cached)


def test_burst_frames_come_in_time_order_with_their_times(archive):
    at = run_page("review.py")  # the first track is a burst of two frames, 2 s apart
    times = [c for c in _captions(at) if c[:2].isdigit()]
    assert times[:2] == ["06:01:00", "06:01:02 (+2 s)"]


def test_whole_photo_on_demand(archive):
    at = run_page("review.py")
    at.button(key="review_mode_photo").click().run()
    assert not at.exception
    assert any("North/IMG_" in c for c in _captions(at))


def _first_track(engine, archive):
    with db.session_scope(_url(engine)) as s:
        return [
            (d.id, (d.x, d.y, d.w, d.h))
            for d in s.scalars(
                select(Detection)
                .where(Detection.track_id == archive.pending_tracks[0])
                .order_by(Detection.id)
            )
        ]


def test_box_edit_is_audited_and_undone(archive, engine):
    at = run_page("review.py")
    at.button(key="review_mode_boxes").click().run()
    det_id = _widget(at.selectbox, K.BOX_PICK).value
    for field, value in {"x": 10.0, "y": 20.0, "w": 30.0, "h": 40.0}.items():
        _widget(at.number_input, f"{K.BOX_EDIT}_{field}_{det_id}_").set_value(value)
    at.run()
    at.button(key="box_save").click().run()
    assert not at.exception
    boxes = dict(_first_track(engine, archive))
    assert boxes[det_id] == (0.1, 0.2, 0.3, 0.4)
    with db.session_scope(_url(engine)) as s:
        rows = s.scalars(select(Correction).where(Correction.action == "box")).all()
        assert {(r.field, r.changed_by) for r in rows} >= {("x", "tester"), ("h", "tester")}
    at.button(key="review_undo").click().run()
    assert dict(_first_track(engine, archive))[det_id] == (0.3, 0.3, 0.4, 0.45)


def test_add_and_delete_a_box_from_the_desk(archive, engine):
    at = run_page("review.py", **{K.REVIEW_MODE: "boxes"})
    with db.session_scope(_url(engine)) as s:
        before = s.query(Detection).count()
    at.button(key="box_add").click().run()
    with db.session_scope(_url(engine)) as s:
        assert s.query(Detection).count() == before + 1
        added = s.scalars(select(Detection).where(Detection.source == "manual")).one()
        assert added.match_status == "pending"
    at.button(key="review_undo").click().run()
    at.button(key="box_delete").click().run()
    with db.session_scope(_url(engine)) as s:
        assert s.query(Detection).count() == before - 1


def test_keyboard_help_is_on_the_page(archive):
    at = run_page("review.py")
    text = " ".join(m.value for m in at.markdown)
    assert "compare with the previous / next candidate" in text
    assert "Keys: A confirm" in " ".join(c.value for c in at.caption)


def _widget(widgets, prefix: str):
    return next(w for w in widgets if (w.key or "").startswith(prefix))

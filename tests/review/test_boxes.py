"""Box corrections: move, resize, add, delete; each audited and undone as a whole."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deertrack_core import audit, boxes, db
from deertrack_core.errors import ConflictError, ValidationError
from deertrack_core.models import Correction, Deer, Detection, Embedding, ReidSimilarityScore
from deertrack_core.review import TrackRef

USER = "ana"


def _det(session, archive) -> Detection:
    return session.get(Detection, archive.reviewed[0])


def _ref(det: Detection) -> TrackRef:
    return TrackRef(((det.id, det.version),))


def test_move_records_each_coordinate_and_undo_restores_the_box(session, archive):
    det = _det(session, archive)
    old = (det.x, det.y, det.w, det.h)
    session.add(Embedding(detection_id=det.id, model="m", dim=1, vector=b"\0\0\0\0"))
    det.visibility = 12.5
    session.commit()
    boxes.move_box(session, _ref(det), (0.1, 0.2, 0.5, 0.6), user=USER)
    session.commit()
    session.refresh(det)
    assert (det.x, det.y, det.w, det.h) == (0.1, 0.2, 0.5, 0.6)
    assert det.visibility is None  # measured on the old box
    assert session.scalar(select(func.count()).where(Embedding.detection_id == det.id)) == 0
    rows = session.scalars(select(Correction).where(Correction.action == "box")).all()
    assert {r.field for r in rows} == {"x", "y", "w", "h"} and {r.changed_by for r in rows} == {
        USER
    }
    result = audit.undo_last(session, user=USER)
    session.commit()
    session.refresh(det)
    assert result.action == "box" and (det.x, det.y, det.w, det.h) == old


def test_move_with_a_stale_version_is_a_conflict(session, archive, engine):
    url = engine.url.render_as_string(hide_password=False)
    det = _det(session, archive)
    seen = _ref(det)
    with db.session_scope(url) as first:
        boxes.move_box(first, seen, (0.1, 0.1, 0.3, 0.3), user="first")
    with pytest.raises(ConflictError, match="Someone else changed"):
        with db.session_scope(url) as second:
            boxes.move_box(second, seen, (0.5, 0.5, 0.3, 0.3), user="second")
    with db.session_scope(url) as check:
        assert check.get(Detection, det.id).x == 0.1


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ((0.1, 0.1, 0.0, 0.3), "at least"),
        ((0.1, 0.1, float("nan"), 0.3), "finite"),
        ((1.5, 0.1, 0.2, 0.3), "outside"),
        ((0.1, 0.1, "wide", 0.3), "four numbers"),
        ((0.1, 0.1), "four numbers"),
    ],
)
def test_bad_boxes_are_refused_and_nothing_changes(session, archive, box, message):
    det = _det(session, archive)
    before = (det.x, det.y, det.w, det.h, det.version)
    with pytest.raises(ValidationError, match=message):
        boxes.move_box(session, _ref(det), box, user=USER)
    session.rollback()
    session.refresh(det)
    assert (det.x, det.y, det.w, det.h, det.version) == before


def test_a_box_slightly_outside_is_clipped():
    assert boxes.checked_box((-0.01, 0.5, 0.3, 0.51)) == (0.0, 0.5, 0.29, 0.5)


def test_add_box_enters_the_queue_and_undo_removes_it(session, archive):
    image_id = _det(session, archive).image_id
    new_id = boxes.add_box(session, image_id, (0.05, 0.05, 0.2, 0.2), user=USER)
    session.commit()
    det = session.get(Detection, new_id)
    assert (det.source, det.match_status, det.category) == ("manual", "pending", "animal")
    shown = boxes.photo_boxes(session, image_id)
    assert new_id in [b.detection_id for b in shown.boxes] and len(shown.boxes) == 2
    audit.undo_last(session, user=USER)
    session.commit()
    assert session.get(Detection, new_id) is None


def test_undo_of_an_added_box_that_was_matched_since_is_refused(session, archive):
    image_id = _det(session, archive).image_id
    new_id = boxes.add_box(session, image_id, (0.05, 0.05, 0.2, 0.2), user=USER)
    session.commit()
    session.get(Detection, new_id).deer_id = archive.deer[0]  # the matcher took it meanwhile
    session.commit()
    with pytest.raises(ConflictError, match="matched or reviewed"):
        audit.undo_last(session, user=USER)


def test_delete_removes_the_box_and_undo_brings_it_back_whole(session, archive):
    det = _det(session, archive)
    det_id, deer_id = det.id, det.deer_id
    before = {c.name: getattr(det, c.key) for c in Detection.__table__.columns}
    before_first = session.get(Deer, deer_id).first_seen
    scores = session.scalar(select(func.count()).where(ReidSimilarityScore.detection_id == det_id))
    assert scores > 0
    boxes.delete_box(session, _ref(det), user=USER)
    session.commit()
    session.expire_all()
    assert session.get(Detection, det_id) is None
    first = session.get(Deer, deer_id).first_seen
    assert first is None or first > before_first  # its earliest sighting went
    audit.undo_last(session, user=USER)
    session.commit()
    session.expire_all()
    back = session.get(Detection, det_id)
    after = {c.name: getattr(back, c.key) for c in Detection.__table__.columns}
    assert {k: v for k, v in after.items() if k != "visibility"} == {
        k: v for k, v in before.items() if k != "visibility"
    }
    assert session.get(Deer, deer_id).first_seen == before_first


def test_add_box_refuses_an_unknown_category(session, archive):
    with pytest.raises(ValidationError, match="category"):
        boxes.add_box(session, _det(session, archive).image_id, (0.1, 0.1, 0.2, 0.2),
                      user=USER, category="dragon")  # fmt: skip

"""Review queue and actions: audit rows, undo, optimistic locking."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from deertrack_core import audit, db, review
from deertrack_core.errors import ConflictError, NotFoundError, ValidationError
from deertrack_core.models import Correction, Deer, Detection
from tests.review import factory

USER = "ana"


def _item(session, track):
    return review.load_item(session, track)


def test_queue_puts_score_nearest_threshold_first(session, archive):
    entries = review.queue(session, 0.85)
    assert [e.track_key for e in entries] == archive.pending_tracks


def test_queue_counts_burst_detections_as_one_track(session, archive):
    entries = {e.track_key: e for e in review.queue(session, 0.85)}
    assert entries[archive.pending_tracks[0]].detections == 2


def test_queue_filters_by_camera(session, archive):
    flt = review.QueueFilter(deployment_ids=(archive.deployments[0],))
    assert review.queue_size(session, flt) == 3


def test_queue_filters_by_date(session, archive):
    start = (factory.T0 + dt.timedelta(days=9)).date()
    assert review.queue_size(session, review.QueueFilter(start=start)) == 2


def test_queue_rejects_unknown_status(session, archive):
    with pytest.raises(ValidationError, match="status"):
        review.queue(session, 0.85, review.QueueFilter(status="maybe"))


def test_item_lists_candidates_best_first_with_exemplars(session, archive):
    item = _item(session, archive.pending_tracks[0])
    scores = [c.score for c in item.candidates]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3
    assert all(c.exemplar is not None for c in item.candidates)


def test_confirm_marks_every_detection_of_the_track(session, archive):
    item = _item(session, archive.pending_tracks[0])  # 0.86: auto-matched burst of two
    review.confirm(session, item.ref, user=USER)
    session.commit()
    statuses = session.scalars(
        select(Detection.match_status).where(Detection.track_id == archive.pending_tracks[0])
    ).all()
    assert statuses == ["confirmed", "confirmed"]


def test_action_rows_share_one_action_id(session, archive):
    item = _item(session, archive.pending_tracks[0])
    action_id = review.confirm(session, item.ref, user=USER)
    session.commit()
    rows = session.scalars(select(Correction).where(Correction.action_id == action_id)).all()
    assert len(rows) == 2 and {r.entity_id for r in rows} == set(item.ref.detection_ids)


def test_confirm_without_a_proposed_deer_is_refused(session, archive):
    item = _item(session, archive.pending_tracks[1])  # 0.80: below threshold, no deer
    with pytest.raises(ValidationError, match="pick a candidate"):
        review.confirm(session, item.ref, user=USER)


def test_choose_assigns_the_other_candidate(session, archive):
    item = _item(session, archive.pending_tracks[1])
    other = item.candidates[1].deer_id
    review.choose(session, item.ref, other, user=USER)
    session.commit()
    dets = review.track_detections(session, archive.pending_tracks[1])
    assert {(d.deer_id, d.match_status) for d in dets} == {(other, "corrected")}


def test_new_individual_creates_a_deer(session, archive):
    item = _item(session, archive.pending_tracks[2])
    deer_id = review.new_individual(session, item.ref, user=USER)
    session.commit()
    assert session.get(Deer, deer_id).first_seen == item.captured_at


def test_reject_unassigns(session, archive):
    item = _item(session, archive.pending_tracks[3])
    review.reject(session, item.ref, user=USER)
    session.commit()
    det = session.get(Detection, item.ref.detection_ids[0])
    assert (det.deer_id, det.match_status) == (None, "rejected")


def test_set_sex_age_validates_the_class(session, archive):
    item = _item(session, archive.pending_tracks[0])
    with pytest.raises(ValidationError, match="buck"):
        review.set_sex_age(session, item.ref, "stag", user=USER)


def test_undo_reverts_the_whole_action(session, archive):
    item = _item(session, archive.pending_tracks[1])
    review.choose(session, item.ref, item.candidates[0].deer_id, user=USER)
    session.commit()
    audit.undo_last(session, user=USER)
    session.commit()
    dets = review.track_detections(session, archive.pending_tracks[1])
    assert {(d.deer_id, d.match_status) for d in dets} == {(None, "proposed")}


def test_undo_of_new_individual_removes_the_deer(session, archive):
    before = session.scalar(select(func.count(Deer.id)))
    item = _item(session, archive.pending_tracks[2])
    review.new_individual(session, item.ref, user=USER)
    session.commit()
    audit.undo_last(session, user=USER)
    session.commit()
    assert session.scalar(select(func.count(Deer.id))) == before


def test_undo_with_nothing_to_undo_says_so(session, archive):
    with pytest.raises(NotFoundError, match="no action left"):
        audit.undo_last(session, user="nobody")


def test_second_reviewer_gets_a_conflict_and_nothing_is_lost(session, archive, engine):
    url = engine.url.render_as_string(hide_password=False)
    item = _item(session, archive.pending_tracks[0])  # both reviewers saw the same versions
    with db.session_scope(url) as first:
        review.reject(first, item.ref, user="first")
    with pytest.raises(ConflictError, match="Someone else changed"):
        with db.session_scope(url) as second:
            review.confirm(second, item.ref, user="second")
    with db.session_scope(url) as check:
        det = check.get(Detection, item.ref.detection_ids[0])
        assert (det.match_status, det.reviewed_by) == ("rejected", "first")

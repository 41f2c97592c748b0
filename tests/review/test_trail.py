"""A deer split in two, undo of any action from the audit trail, and the trail itself."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deertrack_core import audit, individuals, review
from deertrack_core.errors import ConflictError, ValidationError
from deertrack_core.models import Deer, Detection

USER = "ana"


def _sightings(session, deer_id):
    return session.scalars(select(Detection.id).where(Detection.deer_id == deer_id)).all()


def _deer_with_sightings(session, archive, n=3):
    """Give deer 0 three confirmed sightings (the factory gives each deer one)."""
    deer_id = archive.deer[0]
    for det_id in archive.reviewed[1:n]:
        session.get(Detection, det_id).deer_id = deer_id
    session.commit()
    return deer_id


def test_split_moves_the_picked_sightings_to_a_new_deer_and_undo_joins_them(session, archive):
    deer_id = _deer_with_sightings(session, archive)
    before = set(_sightings(session, deer_id))
    picked = archive.reviewed[1:3]
    new_id = individuals.split(session, deer_id, picked, user=USER, name="Split doe")
    session.commit()
    assert sorted(_sightings(session, new_id)) == sorted(picked)
    assert set(_sightings(session, deer_id)) == before - set(picked)
    new = session.get(Deer, new_id)
    assert new.name == "Split doe" and new.first_seen is not None
    assert {session.get(Detection, i).match_status for i in picked} == {"corrected"}
    trail = audit.history(session, limit=1)[0]
    assert (trail.action, trail.user, trail.undone) == ("split", USER, False)
    assert "deer " + str(new_id) in trail.entities
    audit.undo(session, trail.action_id, user=USER)
    session.commit()
    session.expire_all()
    assert session.get(Deer, new_id) is None
    assert set(_sightings(session, deer_id)) == before


@pytest.mark.parametrize(
    ("pick", "message"),
    [
        (lambda a: [], "pick the sightings"),
        (lambda a: "all", "every sighting"),
        (lambda a: [a.reviewed[1], 999_999], "not sightings"),
    ],
)
def test_split_refuses_bad_picks(session, archive, pick, message):
    deer_id = _deer_with_sightings(session, archive)
    picked = pick(archive)
    if picked == "all":
        picked = list(_sightings(session, deer_id))
    with pytest.raises(ValidationError, match=message):
        individuals.split(session, deer_id, picked, user=USER)


def test_undo_of_an_older_action_from_the_trail(session, archive):
    first = review.load_item(session, archive.pending_tracks[0])
    review.reject(session, first.ref, user=USER)
    second = review.load_item(session, archive.pending_tracks[1])
    review.reject(session, second.ref, user="bo")
    session.commit()
    older = audit.history(session, limit=2)[1]
    assert (older.user, older.action) == (USER, "not a deer")
    result = audit.undo(session, older.action_id, user="bo")
    session.commit()
    assert result.rows == len(older.changes)
    statuses = {session.get(Detection, i).match_status for i in first.ref.detection_ids}
    assert "rejected" not in statuses
    trail = audit.history(session, limit=5)
    assert trail[0].action == "undo" and trail[0].user == "bo"
    assert [t.undone for t in trail if t.action_id == older.action_id] == [True]
    with pytest.raises(ConflictError, match="undone already"):
        audit.undo(session, older.action_id, user="bo")
    with pytest.raises(ConflictError, match="cannot be undone"):
        audit.undo(session, trail[0].action_id, user="bo")


def test_undo_refuses_an_action_someone_built_on(session, archive):
    item = review.load_item(session, archive.pending_tracks[0])
    review.reject(session, item.ref, user=USER)
    session.commit()
    rejected = audit.history(session, limit=1)[0]
    again = review.load_item(session, archive.pending_tracks[0])
    review.choose(session, again.ref, archive.deer[1], user="bo")
    session.commit()
    with pytest.raises(ConflictError, match="changed again"):
        audit.undo(session, rejected.action_id, user=USER)


def test_history_filters_by_user_and_bounds_its_size(session, archive):
    for track, user in zip(archive.pending_tracks[:3], ["ana", "bo", "ana"], strict=True):
        review.reject(session, review.load_item(session, track).ref, user=user)
    session.commit()
    assert [a.user for a in audit.history(session, user="ana")] == ["ana", "ana"]
    assert len(audit.history(session, limit=-5)) == 1

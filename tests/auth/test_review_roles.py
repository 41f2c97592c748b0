"""Review, individuals, boxes, species, repeats, undo and photo times check the role in the core
and record the signed-in user (the dashboard, the API and the CLI all go through these)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from deertrack_core import audit, auth, boxes, individuals, review, species_review
from deertrack_core.demo.remove import remove_demo_records
from deertrack_core.detect.repeats import confirm_repeat
from deertrack_core.errors import AuthenticationError, PermissionDeniedError
from deertrack_core.ingest.plausible import set_photo_time
from deertrack_core.models import Correction, Detection, Image
from tests.auth.conftest import PASSWORD
from tests.review import factory


@pytest.fixture
def world(session, tmp_path, monkeypatch):
    """The review archive, with ada (admin), rex (reviewer), vic (viewer)."""
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.85")
    archive = factory.build(session, tmp_path)
    for name, role in (("ada", "admin"), ("rex", "reviewer"), ("vic", "viewer")):
        auth.add_user(session, name, role, PASSWORD, actor=auth.Actor.console("root"))
    session.commit()
    people = {r: auth.Actor.user(n, r) for n, r in
              (("ada", "admin"), ("rex", "reviewer"), ("vic", "viewer"))}  # fmt: skip
    return archive, people


def _ref(session, archive, i=0):
    return review.load_item(session, archive.pending_tracks[i]).ref


def _one_det(session, archive) -> Detection:
    return session.scalars(
        select(Detection).where(Detection.track_id == archive.pending_tracks[1])
    ).first()


def _box_ref(session, archive) -> review.TrackRef:
    det = _one_det(session, archive)
    return review.TrackRef(((det.id, det.version),))


# Each write, as a function of (session, archive, actor) -> the call.
REVIEWER_WRITES = {
    "confirm": lambda s, a, who: review.confirm(s, _ref(s, a), actor=who),
    "choose": lambda s, a, who: review.choose(s, _ref(s, a), a.deer[1], actor=who),
    "new individual": lambda s, a, who: review.new_individual(s, _ref(s, a), actor=who),
    "reject": lambda s, a, who: review.reject(s, _ref(s, a), actor=who),
    "sex/age": lambda s, a, who: review.set_sex_age(s, _ref(s, a), "doe", actor=who),
    "rename": lambda s, a, who: individuals.rename(s, a.deer[0], "Old Blue", actor=who),
    "notes": lambda s, a, who: individuals.set_notes(s, a.deer[0], "limps", actor=who),
    "deer sex/age": lambda s, a, who: individuals.set_sex_age(s, a.deer[0], "fawn", actor=who),
    "merge": lambda s, a, who: individuals.merge(s, a.deer[0], a.deer[1], actor=who),
    "move out": lambda s, a, who: individuals.move_out(s, _one_det(s, a).id, actor=who, to="new"),
    "box": lambda s, a, who: boxes.move_box(s, _box_ref(s, a), (0.1, 0.1, 0.2, 0.2), actor=who),
    "add box": lambda s, a, who: boxes.add_box(
        s, _one_det(s, a).image_id, (0.5, 0.5, 0.1, 0.1), actor=who
    ),
    "species": lambda s, a, who: species_review.set_species(
        s, [_one_det(s, a).id], "elk", actor=who
    ),
}


@pytest.mark.parametrize("write", list(REVIEWER_WRITES))
def test_a_viewer_may_not_review_and_a_reviewer_is_recorded(session, world, write):
    archive, people = world
    call = REVIEWER_WRITES[write]
    with pytest.raises(PermissionDeniedError, match="vic is a viewer; to .* needs the reviewer"):
        call(session, archive, people["viewer"])
    session.rollback()
    assert session.scalars(select(Correction.changed_by).where(Correction.entity != "user")).all() == []  # fmt: skip
    call(session, archive, people["reviewer"])
    session.commit()
    who = set(session.scalars(select(Correction.changed_by).where(Correction.entity != "user")))
    assert who == {"rex"}


@pytest.mark.parametrize("write", ["confirm", "rename"])
def test_nobody_signed_in_may_not_write_once_accounts_exist(session, world, write):
    archive, _ = world
    with pytest.raises(AuthenticationError, match="must be signed in"):
        REVIEWER_WRITES[write](session, archive, None)


def test_reviewers_undo_their_own_actions_only_admins_anyones(session, world):
    archive, people = world
    mine = review.confirm(session, _ref(session, archive), actor=people["reviewer"])
    theirs = individuals.rename(session, archive.deer[0], "Old Blue", actor=people["admin"])
    session.commit()
    with pytest.raises(PermissionDeniedError, match="to undo ada's action needs the admin"):
        audit.undo(session, theirs, actor=people["reviewer"])
    with pytest.raises(PermissionDeniedError):
        audit.undo_last(session, actor=people["viewer"])
    assert audit.undo_last(session, actor=people["reviewer"]).action_id == mine
    assert audit.undo(session, theirs, actor=auth.Actor.user("ada", "admin")).rows == 1
    session.commit()
    undone_by = session.scalars(select(Correction.changed_by).where(Correction.action == "undo"))
    assert sorted(set(undone_by)) == ["ada", "rex"]


def test_admin_only_writes_refuse_a_reviewer(session, world):
    archive, people = world
    image_id = session.scalars(select(Image.id)).first()
    when = dt.datetime(2024, 10, 3, 6, 0)
    with pytest.raises(PermissionDeniedError, match="to set a photo's time needs the admin"):
        set_photo_time(session, image_id, when, actor=people["reviewer"])
    with pytest.raises(PermissionDeniedError, match="repeat detection needs the admin"):
        confirm_repeat(session, 1, actor=people["reviewer"])
    with pytest.raises(PermissionDeniedError, match="remove the demo season needs the admin"):
        remove_demo_records(session, actor=people["reviewer"])
    session.rollback()
    set_photo_time(session, image_id, when, actor=people["admin"])
    session.commit()
    assert session.scalars(
        select(Correction.changed_by).where(Correction.action == "set_time")
    ).all() == ["ada"]


def test_the_first_user_must_be_an_admin(session, engine):
    with pytest.raises(auth.ValidationError, match="first user must be an admin"):
        auth.add_user(session, "vic", "viewer", PASSWORD)

"""The review screen: actions change the database; a concurrent change gives a conflict."""

from __future__ import annotations

from sqlalchemy import select

from deertrack_core import db
from deertrack_core.models import Correction, Detection
from tests.ui.conftest import run_page


def _track(engine, track):
    url = engine.url.render_as_string(hide_password=False)
    with db.session_scope(url) as s:
        return [
            (d.deer_id, d.match_status, d.version)
            for d in s.scalars(select(Detection).where(Detection.track_id == track))
        ]


def test_review_shows_the_most_uncertain_track_with_candidates(archive):
    at = run_page("review.py")
    assert not at.exception
    assert any("North/C1" in m.value and "2 frames" in m.value for m in at.markdown)
    assert at.button(key="review_pick_0") and at.button(key="review_pick_2")


def test_confirm_button_confirms_the_track(archive, engine):
    at = run_page("review.py")
    at.button(key="review_confirm").click().run()
    assert not at.exception
    assert {s for _, s, _ in _track(engine, archive.pending_tracks[0])} == {"confirmed"}


def test_an_action_leaves_a_notice_for_the_next_run(archive):
    at = run_page("review.py")
    at.button(key="review_reject").click().run()
    assert [t.value for t in at.toast] == ["Marked as a false box (no animal)."]
    at.run()  # shown once
    assert not at.toast


def test_picking_a_candidate_assigns_that_deer(archive, engine):
    at = run_page("review.py")
    at.button(key="review_pick_1").click().run()
    rows = _track(engine, archive.pending_tracks[0])
    assert {(d, s) for d, s, _ in rows} == {(archive.deer[1], "corrected")}


def test_not_a_deer_then_undo_restores_the_track(archive, engine):
    at = run_page("review.py")
    at.button(key="review_reject").click().run()
    assert {s for _, s, _ in _track(engine, archive.pending_tracks[0])} == {"rejected"}
    at.button(key="review_undo").click().run()
    assert {s for _, s, _ in _track(engine, archive.pending_tracks[0])} == {"auto"}


def test_after_an_action_the_next_track_comes_up(archive):
    at = run_page("review.py")
    at.button(key="review_new").click().run()
    assert any("Creek/C2" in m.value for m in at.markdown)  # the second track's camera


def test_a_change_by_someone_else_shows_a_conflict(archive, engine):
    at = run_page("review.py")
    url = engine.url.render_as_string(hide_password=False)
    with db.session_scope(url) as s:  # another reviewer sets the sex/age meanwhile
        for d in s.scalars(
            select(Detection).where(Detection.track_id == archive.pending_tracks[0])
        ):
            d.sex_age = "doe"
    at.button(key="review_confirm").click().run()
    assert any("Someone else changed" in e.value for e in at.error)
    assert {s for _, s, _ in _track(engine, archive.pending_tracks[0])} == {"auto"}
    with db.session_scope(url) as s:
        assert not s.scalars(select(Correction)).all()

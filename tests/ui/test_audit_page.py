"""The audit trail page: who, when, what; filters; undo of any action."""

from __future__ import annotations

from deertrack_core import db, review
from tests.ui.conftest import run_page
from ui import state as K


def _reject(engine, track, user):
    url = engine.url.render_as_string(hide_password=False)
    with db.session_scope(url) as s:
        review.reject(s, review.load_item(s, track).ref, user=user)


def test_empty_trail_says_what_will_appear(archive):
    at = run_page("audit.py")
    assert not at.exception
    assert any("Nothing recorded yet" in i.value for i in at.info)


def test_trail_lists_who_did_what_and_filters_by_user(archive, engine):
    _reject(engine, archive.pending_tracks[0], "ana")
    _reject(engine, archive.pending_tracks[1], "bo")
    at = run_page("audit.py")
    rows = [m.value for m in at.markdown if m.value.startswith("**not a deer**")]
    assert len(rows) == 2 and "status of 2 detections: auto → rejected" in rows[1]
    assert {m.value for m in at.markdown} >= {"**ana**", "**bo**"}
    at.selectbox(key=K.AUDIT_USER).set_value("bo").run()
    assert [m.value for m in at.markdown if m.value.startswith("**")].count("**ana**") == 0


def test_an_undo_that_conflicts_is_refused_in_place(archive, engine):
    _reject(engine, archive.pending_tracks[0], "ana")
    at = run_page("audit.py")
    url = engine.url.render_as_string(hide_password=False)
    with db.session_scope(url) as s:  # someone builds on it meanwhile
        item = review.load_item(s, archive.pending_tracks[0])
        review.choose(s, item.ref, archive.deer[1], user="bo")
    next(b for b in at.button if (b.key or "").startswith("audit_undo_")).click().run()
    assert any("changed again" in e.value for e in at.error)

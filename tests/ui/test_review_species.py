"""The review desk's species decisions and the sex/age suggestion (issues 8 and 9)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.models import Correction, Detection, Embedding
from tests.review import factory
from tests.ui.conftest import run_page
from ui import background


def _track(url, track: int) -> list[Detection]:
    with db.session_scope(url) as s:
        rows = s.scalars(select(Detection).where(Detection.track_id == track)).all()
        s.expunge_all()
        return rows


def test_not_a_deer_takes_the_track_out_of_reidentification(archive, db_url):
    first = archive.pending_tracks[0]
    at = run_page("review.py")
    at.button(key="review_not_target").click().run()
    assert not at.exception
    rows = _track(db_url, first)
    assert {(d.species, d.species_source, d.deer_id) for d in rows} == {
        ("other species", "reviewer", None)
    }
    assert at.toast[0].value.startswith("Marked as another species")
    # the gate: the next track comes up, this one is no longer in the queue
    assert at.session_state["review_seen"][0] != first


def test_the_species_picker_records_the_reviewers_species(archive, db_url):
    first = archive.pending_tracks[0]
    at = run_page("review.py")
    at.selectbox(key=f"review_species_pick_{first}").set_value("elk").run()
    at.button(key="review_set_species").click().run()
    assert not at.exception
    assert {(d.species, d.species_source) for d in _track(db_url, first)} == {("elk", "reviewer")}


@pytest.fixture
def labelled(session, tmp_path, monkeypatch):
    """The factory's archive with evidence, embeddings for every detection, and sex/age set by
    a person on ten of them (buck for the first deer, doe for the others)."""
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEERTRACK_USER", "tester")
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.85")
    from tests.ui.conftest import ROOT

    monkeypatch.chdir(ROOT)
    arc = factory.build(session, tmp_path, evidence=True)
    rng = np.random.default_rng(0)
    have = set(session.scalars(select(Embedding.detection_id)))
    for det in session.scalars(select(Detection)):
        if det.id not in have:
            v = rng.normal(size=16).astype(np.float32)
            session.add(Embedding(detection_id=det.id, model="test-model", dim=16,
                                  vector=(v / np.linalg.norm(v)).tobytes()))  # fmt: skip
    for det in session.scalars(select(Detection).where(Detection.id.in_(arc.reviewed))):
        det.sex_age = "buck" if det.deer_id == arc.deer[0] else "doe"
    last = session.scalars(select(Detection).where(Detection.track_id == arc.pending_tracks[-1]))
    for det in last:
        det.sex_age = "doe"
    session.commit()
    return arc


def test_the_sex_age_suggestion_is_shown_and_written_only_on_a_click(labelled, db_url):
    first = labelled.pending_tracks[0]
    at = run_page("review.py")
    assert not at.exception
    # The classifier is fitted in the background: the desk says so, then shows the suggestion.
    assert any("learning from the reviewed deer" in c.value for c in at.caption)
    background.wait()
    at.run()
    line = next(m.value for m in at.markdown if m.value.startswith("Suggested sex/age"))
    assert "probability" in line and "cross-validated accuracy" in line
    assert {d.sex_age for d in _track(db_url, first)} == {"unknown"}  # shown, not written
    suggested = at.button(key="review_accept_sex").label.removeprefix("Set ")
    at.button(key="review_accept_sex").click().run()
    assert {d.sex_age for d in _track(db_url, first)} == {suggested}
    with db.session_scope(db_url) as s:
        actions = set(s.scalars(select(Correction.action).where(Correction.field == "sex_age")))
    assert any(a.startswith("sex/age suggestion p=") for a in actions)


def test_without_enough_labels_the_desk_says_why(archive):
    run_page("review.py")
    background.wait()
    at = run_page("review.py")
    assert any("Sex/age suggestion: none yet" in c.value for c in at.caption)

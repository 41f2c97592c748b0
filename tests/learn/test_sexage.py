"""Sex/age suggestions: learned from reviewers' labels, only written on a reviewer's click."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from deertrack_core import audit, review
from deertrack_core.models import Correction, Detection
from deertrack_core.reid import sexage
from tests.reid_match.builders import MODEL, Archive, near, unit


@pytest.fixture
def labelled(engine, session, monkeypatch):
    """Twelve deer of three classes whose embeddings carry the class, plus unlabelled ones."""
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    rng = np.random.default_rng(11)
    arc = Archive(session)
    centres = dict(zip(sexage.CLASSES, unit(rng, 3, 24), strict=True))
    for k in range(12):
        cls = sexage.CLASSES[k % 3]
        deer = arc.deer()
        own = near(rng, centres[cls], 1, 0.25)[0]  # each deer differs a little from its class
        for v in near(rng, own, 4, 0.1):
            arc.detection(v, deer=deer).sex_age = cls
    fresh = [arc.detection(near(rng, centres["buck"], 1, 0.2)[0]) for _ in range(2)]
    session.commit()
    return [d.id for d in fresh]


def test_classifier_beats_the_majority_class_across_individuals(session, labelled):
    clf = sexage.fit_from_reviews(session)
    assert clf.label_counts_ == {"buck": 16, "doe": 16, "fawn": 16}
    assert clf.n_individuals_ == 12
    assert clf.cv_accuracy_ > clf.baseline_accuracy_ + 0.3


def test_suggestions_only_for_unknown_detections_and_nothing_written(session, labelled):
    clf = sexage.fit_from_reviews(session)
    labelled_id = session.scalars(select(Detection.id).where(Detection.sex_age == "doe")).first()
    out = sexage.suggest(session, clf, [*labelled, labelled_id])
    assert [s.detection_id for s in out] == labelled
    assert all(s.value == "buck" and 0.5 < s.probability <= 1.0 for s in out)
    track = sexage.track_suggestion(session, clf, labelled)
    assert track.value == "buck"
    session.expire_all()
    assert {session.get(Detection, i).sex_age for i in labelled} == {"unknown"}


def test_accepting_a_suggestion_is_an_audited_undoable_review_action(session, labelled):
    clf = sexage.fit_from_reviews(session)
    det = session.get(Detection, labelled[0])
    suggestion = sexage.suggest(session, clf, [det.id])[0]
    action = sexage.accept_suggestion(session, review.ref_for([det]), suggestion, user="ann")
    session.commit()
    assert session.get(Detection, det.id).sex_age == "buck"
    row = session.scalars(select(Correction).where(Correction.action_id == action)).one()
    assert row.field == "sex_age" and row.changed_by == "ann"
    assert row.action == f"sex/age suggestion p={suggestion.probability:.2f}"
    audit.undo_last(session, user="ann")
    session.commit()
    assert session.get(Detection, det.id).sex_age == "unknown"


def test_too_few_labels_say_what_to_do(engine, session, monkeypatch):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    arc = Archive(session)
    deer = arc.deer()
    arc.detection(unit(np.random.default_rng(0), 1, 8)[0], deer=deer).sex_age = "doe"
    session.commit()
    with pytest.raises(sexage.SuggestionsUnavailableError, match="1 doe"):
        sexage.fit_from_reviews(session)

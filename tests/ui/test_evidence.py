"""The threshold evidence is prepared in the background and kept per version of the evidence."""

from __future__ import annotations

import time

import pytest

from deertrack_core import db, review, stats
from deertrack_core.reid.calibration import InsufficientEvidenceError
from tests.review import factory
from ui import evidence


@pytest.fixture
def reviewed(session, tmp_path, monkeypatch, engine):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    factory.build(session, tmp_path, evidence=True)
    evidence.forget()
    yield engine.url.render_as_string(hide_password=False)
    evidence.forget()


def _version(url):
    with db.session_scope(url) as s:
        return stats.evidence_version(s)


def _wait(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not ready in time"
        time.sleep(0.05)


def test_warming_prepares_the_current_version_once(reviewed):
    version = _version(reviewed)
    assert not evidence.ready(reviewed, "test-model", version)
    evidence.warm(reviewed, delay=0.0)
    _wait(lambda: evidence.ready(reviewed, "test-model", version))
    first = evidence.threshold_inputs(reviewed, "test-model", version)
    assert first is evidence.threshold_inputs(reviewed, "test-model", version)  # kept
    assert first.n_same > 0 and first.n_different > first.n_same
    assert first.calibrator.roc_.auc > 0.5


def test_a_change_makes_a_new_version(reviewed):
    before = _version(reviewed)
    evidence.threshold_inputs(reviewed, "test-model", before)
    with db.session_scope(reviewed) as s:
        track = review.queue(s, 0.85, limit=1)[0].track_key
        review.reject(s, review.load_item(s, track).ref, user="ana")
    after = _version(reviewed)
    assert after != before and not evidence.ready(reviewed, "test-model", after)


def test_too_little_evidence_is_an_answer_kept_for_its_version(session, tmp_path, monkeypatch,
                                                              engine):  # fmt: skip
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    factory.build(session, tmp_path)  # no embeddings: nothing to calibrate on
    url = engine.url.render_as_string(hide_password=False)
    version = _version(url)
    with pytest.raises(InsufficientEvidenceError):
        evidence.threshold_inputs(url, "test-model", version)
    assert evidence.ready(url, "test-model", version)
    evidence.forget()

import json

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from deertrack_core.reid import prototypes as p
from deertrack_core.reid.calibration import (
    InsufficientEvidenceError,
    PendingScores,
    ThresholdCalibrator,
    archive_outlook,
    evidence_pairs,
    outlook_from_scores,
)

from .builders import MODEL, Archive, near, unit

DIM = 24


def _synthetic(seed=0, n=400):
    rng = np.random.default_rng(seed)
    same = rng.random(n) < 0.2
    scores = np.where(same, rng.normal(0.7, 0.1, n), rng.normal(0.4, 0.1, n))
    return scores, same


def test_metrics_at_threshold_count_the_confusion_matrix():
    cal = ThresholdCalibrator().fit(np.array([0.9, 0.8, 0.7, 0.6, 0.2]), np.array([1, 0, 1, 0, 0]))
    m = cal.metrics_at(0.7)
    assert (m.tp, m.fp, m.fn, m.tn) == (2, 1, 0, 2)
    assert m.precision == pytest.approx(2 / 3) and m.recall == 1.0
    assert m.f1 == pytest.approx(0.8) and m.fpr == pytest.approx(1 / 3)


def test_precision_goal_gives_lowest_threshold_reaching_the_target():
    scores, same = _synthetic()
    cal = ThresholdCalibrator(target_precision=0.9).fit(scores, same)
    t = cal.recommended_threshold_
    assert cal.metrics_at(t).precision >= 0.9
    below = scores[scores < t].max()
    assert cal.metrics_at(below).precision < 0.9
    assert cal.recommendation_.achieved


def test_unreachable_precision_is_flagged_not_hidden():
    cal = ThresholdCalibrator(target_precision=1.0).fit(
        np.array([0.9, 0.9, 0.5]), np.array([True, False, True])
    )
    assert not cal.recommendation_.achieved


@pytest.mark.parametrize("goal", ["f1", "youden"])
def test_goal_threshold_maximises_its_metric(goal):
    scores, same = _synthetic(seed=1)
    cal = ThresholdCalibrator(goal=goal).fit(scores, same)

    def value(m):
        return m.f1 if goal == "f1" else m.youden_j

    best = value(cal.metrics_at(cal.recommended_threshold_))
    assert all(value(cal.metrics_at(t)) <= best + 1e-12 for t in np.unique(scores))


def test_roc_and_pr_curves_agree_with_sklearn():
    scores, same = _synthetic(seed=2)
    cal = ThresholdCalibrator().fit(scores, same)
    assert cal.roc_.auc == pytest.approx(roc_auc_score(same, scores))
    assert len(cal.pr_.precision) == len(cal.pr_.recall)
    assert cal.pr_.average_precision == pytest.approx(average_precision_score(same, scores))


@pytest.mark.parametrize("seed", [4, 5])
def test_curves_with_tied_scores_agree_with_sklearn(seed):
    scores, same = _synthetic(seed=seed)
    scores = np.round(scores, 2)  # many ties
    cal = ThresholdCalibrator().fit(scores, same)
    assert cal.roc_.auc == pytest.approx(roc_auc_score(same, scores))
    assert cal.pr_.average_precision == pytest.approx(average_precision_score(same, scores))
    fpr, tpr = cal.roc_.fpr, cal.roc_.tpr
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)


def test_predict_uses_the_recommended_threshold():
    scores, same = _synthetic(seed=3)
    cal = ThresholdCalibrator(goal="f1").fit(scores, same)
    assert (cal.predict(scores) == (scores >= cal.recommended_threshold_)).all()


def test_one_class_evidence_is_refused_with_a_way_out():
    with pytest.raises(InsufficientEvidenceError, match="Review page"):
        ThresholdCalibrator().fit(np.array([0.5, 0.6]), np.array([False, False]))


def test_unknown_goal_is_refused():
    with pytest.raises(ValueError, match="goal must be one of"):
        ThresholdCalibrator(goal="accuracy").fit(*_synthetic())


def test_evidence_is_json_ready():
    cal = ThresholdCalibrator().fit(*_synthetic(seed=4))
    assert json.loads(json.dumps(cal.evidence()))["metrics"]["threshold"] == pytest.approx(
        cal.recommended_threshold_
    )


def test_outlook_counts_auto_matches_and_expected_false_merges():
    pending = PendingScores(np.array([0.9, 0.5, 0.8, -np.inf]), np.array([3, 1, 1, 2]))
    o = outlook_from_scores(pending, 0.8, precision=0.9)
    assert (o.pending_tracks, o.pending_detections, o.auto_matches, o.auto_detections) == (
        4,
        7,
        2,
        4,
    )
    assert o.new_individuals == 2 and o.expected_false_merges == pytest.approx(0.2)


@pytest.fixture
def reviewed(monkeypatch, engine, session):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    rng = np.random.default_rng(8)
    arc = Archive(session)
    centres = unit(rng, 4, DIM)
    deer = [arc.deer() for _ in centres]
    for i, (d, c) in enumerate(zip(deer, centres, strict=True)):
        for v in near(rng, c, 3, 0.2):
            arc.detection(v, deer=d, status="corrected" if i == 0 else "confirmed")
        arc.detection(near(rng, c, 1, 0.2)[0], deer=d, status="auto")  # not evidence
    session.commit()
    return arc, deer, centres, rng


def test_evidence_pairs_come_from_reviewed_detections_left_out(reviewed, session):
    scores, same = evidence_pairs(session)
    assert len(scores) == 12 * 4 and same.sum() == 12
    arc, deer, centres, rng = reviewed
    from deertrack_core.reid.scores import labelled_matrix

    _, labels, matrix = labelled_matrix(session, MODEL, statuses=("confirmed", "corrected"))
    _, loo = p.leave_one_out_scores(matrix, labels)
    assert np.allclose(np.sort(scores), np.sort(loo.ravel()), atol=1e-6)
    assert roc_auc_score(same, scores) > 0.9


def test_too_few_reviewed_deer_is_a_clear_error(monkeypatch, engine, session):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    rng = np.random.default_rng(1)
    arc = Archive(session)
    d = arc.deer()
    for v in unit(rng, 3, DIM):
        arc.detection(v, deer=d)
    session.commit()
    with pytest.raises(InsufficientEvidenceError, match="at least 2.*Review page"):
        evidence_pairs(session)


def test_archive_outlook_scores_pending_tracks(reviewed, session):
    arc, deer, centres, rng = reviewed
    arc.detection(near(rng, centres[0], 1, 0.05)[0])
    arc.detection(unit(rng, 1, DIM)[0])
    session.commit()
    cal = ThresholdCalibrator().fit(*evidence_pairs(session))
    o = archive_outlook(session, 0.8, calibrator=cal)
    assert (o.pending_tracks, o.auto_matches, o.new_individuals) == (2, 1, 1)
    assert o.expected_false_merges == pytest.approx(1 - cal.metrics_at(0.8).precision)


def test_pending_best_scores_use_each_tracks_mean_embedding(reviewed, session):
    from deertrack_core.reid import prototypes as protos
    from deertrack_core.reid.calibration import pending_best_scores
    from deertrack_core.reid.scores import labelled_matrix

    arc, deer, centres, rng = reviewed
    pair = near(rng, centres[1], 2, 0.3)
    for v in pair:
        arc.detection(v, track_id=900_001)
    single = unit(rng, 1, DIM)[0]
    arc.detection(single)
    session.commit()
    got = pending_best_scores(session, MODEL)
    _, labels, matrix = labelled_matrix(session, MODEL, embed_missing=False)
    gallery = protos.Gallery.from_exemplars(matrix, labels, "mean")
    expected = np.nanmax(gallery.scores(np.stack([pair.mean(axis=0), single])), axis=1)
    assert got.sizes.tolist() == [2, 1]
    assert got.best == pytest.approx(expected, abs=1e-5)

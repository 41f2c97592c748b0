"""Thresholds from evidence: what reviewed detections say about the match threshold.

Evidence is pairs of scores from reviewed detections (confirmed or corrected): a detection against
its own deer's prototype with itself left out ("same"), and against every other deer
("different"). :class:`ThresholdCalibrator` fits ROC and precision-recall curves on them, gives
the metrics at any threshold and recommends one for a goal:

* ``precision``: the lowest threshold whose precision reaches ``target_precision`` (as many
  automatic matches as possible while at most 1 in 20 is wrong, by default);
* ``f1``: the threshold of best F1;
* ``youden``: the threshold of best ``tpr - fpr`` (Youden's J).

:func:`archive_outlook` says what a threshold would do to the detections still pending, and
:func:`deertrack_core.reid.active.record` records the chosen one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from deertrack_core.errors import DeertrackError
from deertrack_core.reid import active
from deertrack_core.reid import prototypes as protos
from deertrack_core.reid.matching import group_tracks, pending_detections
from deertrack_core.reid.scores import LabelledGallery, cached_vectors, load_labelled, stack

GOALS = ("precision", "f1", "youden")
_MORE = "Review more detections on the Review page (confirm or correct their deer), then retry."


class InsufficientEvidenceError(DeertrackError):
    """Too few reviewed detections to measure how good a threshold is."""


@dataclass(frozen=True)
class RocResult:
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float


@dataclass(frozen=True)
class PrResult:
    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray
    average_precision: float


@dataclass(frozen=True)
class ThresholdMetrics:
    """What happens when every pair scoring at or above ``threshold`` is called the same deer."""

    threshold: float
    precision: float  # 1.0 when nothing is called a match
    recall: float
    f1: float
    fpr: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def youden_j(self) -> float:
        return self.recall - self.fpr

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "youden_j": self.youden_j}


@dataclass(frozen=True)
class Recommendation:
    goal: str
    threshold: float
    achieved: bool  # False when the goal cannot be met (e.g. the target precision is never reached)
    metrics: ThresholdMetrics


def evidence_pairs(
    session: Session,
    model: str | None = None,
    *,
    prototype: str = "mean",
    gallery: LabelledGallery | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Same/different scores of reviewed detections (leave-one-out prototypes).

    Returns ``(scores, same)``. Uses cached embeddings only (or ``gallery``, already loaded with
    :func:`load_labelled` for ``model``). Raises :class:`InsufficientEvidenceError` with fewer
    than two reviewed deer or no deer with two reviewed sightings.
    """
    model = model or active.current(session).model
    gallery = gallery if gallery is not None else load_labelled(session, model)
    labels, matrix = gallery.deer_ids[gallery.reviewed], gallery.matrix[gallery.reviewed]
    n_deer = len(np.unique(labels))
    if n_deer < 2:
        raise InsufficientEvidenceError(
            f"Only {n_deer} deer {'has' if n_deer == 1 else 'have'} reviewed detections with "
            f"{model} embeddings; at least 2 are needed to compare same and different deer.",
            _MORE,
        )
    ids, scores = protos.leave_one_out_scores(matrix, labels, kind=prototype)
    same = labels[:, None] == ids[None, :]
    valid = ~np.isnan(scores)
    if not (same & valid).any():
        raise InsufficientEvidenceError(
            "No deer has two reviewed detections, so there is no same-deer evidence.", _MORE
        )
    return scores[valid].astype(np.float64), same[valid]


def metrics_from_counts(threshold: float, tp: int, fp: int, fn: int, tn: int) -> ThresholdMetrics:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    return ThresholdMetrics(float(threshold), precision, recall, f1, fpr, tp, fp, fn, tn)


def sweep(scores: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(thresholds, tp, fp)`` at every distinct score, highest first (score >= t is a match)."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], same[order]
    tp, fp = np.cumsum(y), np.cumsum(~y)
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # last index of each distinct score
    return s[last], tp[last], fp[last]


def both_kinds(scores, same) -> tuple[np.ndarray, np.ndarray, int]:
    """``(scores, same, number of same pairs)`` as arrays, checked: 1-D, equal length, and both
    same-deer and different-deer pairs present (else InsufficientEvidenceError)."""
    scores = np.asarray(scores, dtype=np.float64)
    same = np.asarray(same, dtype=bool)
    if scores.shape != same.shape or scores.ndim != 1:
        raise ValueError("scores and same must be 1-D arrays of the same length")
    n_same = int(same.sum())
    if n_same == 0 or n_same == len(same):
        raise InsufficientEvidenceError(
            f"The evidence has {n_same} same-deer and {len(same) - n_same} different-deer "
            "pairs; both kinds are needed.",
            _MORE,
        )
    return scores, same, n_same


class ThresholdCalibrator:
    """Fit on same/different evidence; recommend a threshold for ``goal`` (scikit-learn style)."""

    def __init__(self, goal: str = "precision", target_precision: float = 0.95) -> None:
        self.goal = goal
        self.target_precision = target_precision

    def fit(self, scores: np.ndarray, same: np.ndarray) -> ThresholdCalibrator:
        if self.goal not in GOALS:
            raise ValueError(f"goal must be one of {GOALS}, not {self.goal!r}")
        if not 0.0 < self.target_precision <= 1.0:
            raise ValueError("target_precision must be in (0, 1]")
        scores, same, n_same = both_kinds(scores, same)
        self.scores_, self.same_ = scores, same
        self.n_same_, self.n_different_ = n_same, len(same) - n_same
        self.thresholds_, self.tp_, self.fp_ = sweep(scores, same)
        # Both curves come from the one sweep (no scikit-learn: importing it cost the threshold
        # screen seconds). ROC starts at (0, 0); PR runs from low to high threshold, ending at
        # recall 0, precision 1; AP is the step sum of precision over recall increments.
        tp, fp = self.tp_.astype(np.float64), self.fp_.astype(np.float64)
        tpr = np.r_[0.0, tp / n_same]
        fpr = np.r_[0.0, fp / self.n_different_]
        self.roc_ = RocResult(
            fpr, tpr, np.r_[np.inf, self.thresholds_], float(np.trapezoid(tpr, fpr))
        )
        precision, recall = tp / (tp + fp), tp / n_same
        average_precision = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
        self.pr_ = PrResult(
            np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], self.thresholds_[::-1],
            average_precision,
        )  # fmt: skip
        self.recommendation_ = self.recommend(self.goal, self.target_precision)
        self.recommended_threshold_ = self.recommendation_.threshold
        return self

    def metrics_at(self, threshold: float) -> ThresholdMetrics:
        predicted = self.scores_ >= threshold
        tp = int((predicted & self.same_).sum())
        fp = int((predicted & ~self.same_).sum())
        return metrics_from_counts(threshold, tp, fp, self.n_same_ - tp, self.n_different_ - fp)

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """``True`` where a score would be matched at the recommended threshold."""
        return np.asarray(scores) >= self.recommended_threshold_

    def recommend(self, goal: str, target_precision: float | None = None) -> Recommendation:
        """The best threshold for ``goal`` on the fitted evidence."""
        tp, fp = self.tp_.astype(np.float64), self.fp_.astype(np.float64)
        precision = tp / (tp + fp)
        recall = tp / self.n_same_
        achieved = True
        if goal == "precision":
            target = self.target_precision if target_precision is None else target_precision
            ok = np.flatnonzero(precision >= target - 1e-12)
            if len(ok):
                i = int(ok[-1])  # thresholds run high to low: the last is the lowest
            else:
                achieved = False
                i = int(np.flatnonzero(precision == precision.max())[-1])
        elif goal == "f1":
            f1 = np.where(tp > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
            i = int(np.argmax(f1))
        elif goal == "youden":
            i = int(np.argmax(recall - fp / self.n_different_))
        else:
            raise ValueError(f"goal must be one of {GOALS}, not {goal!r}")
        t = float(self.thresholds_[i])
        return Recommendation(goal, t, achieved, self.metrics_at(t))

    def evidence(self, threshold: float | None = None) -> dict[str, Any]:
        """A JSON-ready summary to record with an applied threshold."""
        t = self.recommended_threshold_ if threshold is None else threshold
        return {
            "same_pairs": self.n_same_,
            "different_pairs": self.n_different_,
            "roc_auc": self.roc_.auc,
            "average_precision": self.pr_.average_precision,
            "goal": self.goal,
            "target_precision": self.target_precision,
            "metrics": self.metrics_at(t).as_dict(),
        }


@dataclass(frozen=True)
class ArchiveOutlook:
    """What a threshold would do to the detections still waiting for an identity."""

    threshold: float
    pending_detections: int
    pending_tracks: int  # one decision each
    auto_matches: int  # tracks whose best deer scores at or above the threshold
    auto_detections: int
    new_individuals: int  # tracks below it: new deer or proposals (an upper bound on new deer)
    precision: float | None  # from the evidence, when a calibrator was given
    expected_false_merges: float | None  # auto_matches x (1 - precision)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PendingScores:
    """Each pending track's best score against the current gallery (``-inf`` without deer)."""

    best: np.ndarray
    sizes: np.ndarray  # detections per track


def pending_best_scores(
    session: Session,
    model: str | None = None,
    *,
    prototype: str = "mean",
    gallery: LabelledGallery | None = None,
) -> PendingScores:
    """Best gallery score of every pending track, from cached embeddings (no model needed);
    ``gallery``, when given, is the one :func:`load_labelled` read for ``model``."""
    model = model or active.current(session).model
    pending = pending_detections(session)
    vectors = cached_vectors(session, model, [p.detection_id for p in pending])
    tracks = group_tracks([p for p in pending if p.detection_id in vectors])
    if not tracks:
        return PendingScores(np.zeros(0), np.zeros(0, dtype=np.int64))
    # Members of a track are contiguous: one stacked matrix and a segmented sum give the means.
    sizes = np.array([len(t) for t in tracks], dtype=np.int64)
    members = stack(vectors, [p.detection_id for t in tracks for p in t])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    track_vecs = np.add.reduceat(members, starts, axis=0) / sizes[:, None]
    labelled = gallery if gallery is not None else load_labelled(session, model)
    prototypes = protos.Gallery.from_exemplars(labelled.matrix, labelled.deer_ids, prototype)
    scores = prototypes.scores(track_vecs)
    best = np.full(len(tracks), -np.inf) if scores.shape[1] == 0 else np.nanmax(scores, axis=1)
    return PendingScores(best, sizes)


def outlook_from_scores(
    pending: PendingScores, threshold: float, precision: float | None = None
) -> ArchiveOutlook:
    """:class:`ArchiveOutlook` from precomputed best scores (cheap: for a threshold slider)."""
    auto = pending.best >= threshold
    n_auto = int(auto.sum())
    return ArchiveOutlook(
        threshold=float(threshold),
        pending_detections=int(pending.sizes.sum()),
        pending_tracks=len(pending.best),
        auto_matches=n_auto,
        auto_detections=int(pending.sizes[auto].sum()),
        new_individuals=len(pending.best) - n_auto,
        precision=precision,
        expected_false_merges=None if precision is None else n_auto * (1.0 - precision),
    )


def archive_outlook(
    session: Session,
    threshold: float,
    *,
    calibrator: ThresholdCalibrator | None = None,
    model: str | None = None,
) -> ArchiveOutlook:
    """What matching the pending detections at ``threshold`` would give (before running it)."""
    precision = None if calibrator is None else calibrator.metrics_at(threshold).precision
    return outlook_from_scores(pending_best_scores(session, model), threshold, precision)

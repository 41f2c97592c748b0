"""Sex/age suggestions learned from the reviewers' own labels.

A logistic regression on the cached embeddings of detections whose sex/age class (buck, doe,
fawn) a person set — nothing in DeerTrack writes that field by itself, so every such label is a
person's. Its accuracy is cross-validated *by individual* (no deer in both the training and the
scoring fold), which is what a suggestion for an animal the model has not learned from can
expect; the majority-class accuracy is reported beside it.

Suggestions are only ever shown: :func:`accept_suggestion` writes one when a reviewer clicks,
through the review action (audit log, undo, optimistic locking), tagged as an accepted
suggestion with its probability.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from deertrack_core.auth import Actor
from deertrack_core.errors import DeertrackError, ValidationError
from deertrack_core.models import Correction, Detection, MatchStatus, SexAge
from deertrack_core.reid.scores import cached_vectors

log = logging.getLogger(__name__)

CLASSES = (SexAge.BUCK.value, SexAge.DOE.value, SexAge.FAWN.value)
MIN_LABELS = 10
MIN_PER_CLASS = 3


class SuggestionsUnavailableError(DeertrackError):
    """Too few reviewed sex/age labels to learn from."""


@dataclass(frozen=True)
class SexAgeSuggestion:
    detection_id: int
    value: str
    probability: float


class SexAgeClassifier:
    """scikit-learn style: ``fit`` on labelled embeddings, ``predict_proba`` on new ones."""

    def __init__(self, model: str, c: float = 1.0, folds: int = 5, seed: int = 0) -> None:
        self.model, self.c, self.folds, self.seed = model, c, folds, seed

    def _estimator(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.c, max_iter=2000)

    def fit(
        self, vectors: np.ndarray, labels: Sequence[str], groups: Sequence[int]
    ) -> SexAgeClassifier:
        from sklearn.model_selection import GroupKFold

        y = np.asarray(labels)
        classes, counts = np.unique(y, return_counts=True)
        usable = classes[counts >= MIN_PER_CLASS]
        if len(y) < MIN_LABELS or len(usable) < 2:
            raise SuggestionsUnavailableError(
                f"Sex/age suggestions need at least {MIN_LABELS} labelled detections in two "
                f"classes with {MIN_PER_CLASS} or more each; there are "
                + (", ".join(f"{n} {c}" for c, n in zip(classes, counts, strict=True)) or "none")
                + ".",
                "Set the sex/age of more detections on the Review page.",
            )
        keep = np.isin(y, usable)
        x, y, g = np.asarray(vectors)[keep], y[keep], np.asarray(groups)[keep]
        n_groups = len(np.unique(g))
        self.cv_accuracy_ = float("nan")
        if n_groups >= 2:
            hits = np.zeros(len(y), dtype=bool)
            for train, test in GroupKFold(n_splits=min(self.folds, n_groups)).split(x, y, g):
                if len(np.unique(y[train])) < 2:
                    continue  # a fold with one class cannot be fitted; leave its rows unscored
                est = self._estimator().fit(x[train], y[train])
                hits[test] = est.predict(x[test]) == y[test]
            self.cv_accuracy_ = float(hits.mean())
        values, counts = np.unique(y, return_counts=True)
        self.baseline_accuracy_ = float(counts.max() / counts.sum())
        self.label_counts_ = {str(v): int(n) for v, n in zip(values, counts, strict=True)}
        self.n_individuals_ = n_groups
        self.estimator_ = self._estimator().fit(x, y)
        self.classes_ = tuple(str(c) for c in self.estimator_.classes_)
        return self

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        return self.estimator_.predict_proba(np.asarray(vectors))


def fit_from_reviews(session: Session, model: str | None = None) -> SexAgeClassifier:
    """A classifier fitted on every detection whose sex/age a person set, under ``model``'s
    cached embeddings (the active model by default)."""
    from deertrack_core.reid.active import active_threshold

    model = model or active_threshold(session)[0]
    rows = session.execute(
        select(Detection.id, Detection.sex_age, Detection.deer_id).where(
            Detection.sex_age.in_(CLASSES),
            Detection.match_status != MatchStatus.REJECTED.value,
        )
    ).all()
    vectors = cached_vectors(session, model, [r[0] for r in rows])
    rows = [r for r in rows if r[0] in vectors]
    x = np.stack([vectors[r[0]] for r in rows]) if rows else np.zeros((0, 1))
    # Group by deer so no individual sits on both sides of a fold (unidentified: on its own).
    groups = [r[2] if r[2] is not None else -r[0] for r in rows]
    return SexAgeClassifier(model).fit(x, [r[1] for r in rows], groups)


def probabilities(
    session: Session, classifier: SexAgeClassifier, detection_ids: Sequence[int]
) -> tuple[list[int], np.ndarray]:
    """``(ids, (n, classes) probabilities)`` for those of ``detection_ids`` whose sex/age is
    still unknown and that have a cached embedding under the classifier's model."""
    wanted = [int(i) for i in detection_ids]
    unknown = set(
        session.scalars(
            select(Detection.id).where(
                Detection.id.in_(wanted), Detection.sex_age == SexAge.UNKNOWN.value
            )
        )
    )
    vectors = cached_vectors(session, classifier.model, sorted(unknown))
    ids = [i for i in wanted if i in vectors]
    if not ids:
        return [], np.zeros((0, len(classifier.classes_)))
    return ids, classifier.predict_proba(np.stack([vectors[i] for i in ids]))


def suggest(
    session: Session, classifier: SexAgeClassifier, detection_ids: Sequence[int]
) -> list[SexAgeSuggestion]:
    """The most probable class of each unknown-sex/age detection (see :func:`probabilities`)."""
    ids, proba = probabilities(session, classifier, detection_ids)
    best = proba.argmax(axis=1)
    return [
        SexAgeSuggestion(i, classifier.classes_[b], float(p[b]))
        for i, b, p in zip(ids, best, proba, strict=True)
    ]


def track_suggestion(
    session: Session, classifier: SexAgeClassifier, detection_ids: Sequence[int]
) -> SexAgeSuggestion | None:
    """One suggestion for a review track: the class of highest mean probability over its
    members (``None`` when none of them can be scored)."""
    ids, proba = probabilities(session, classifier, detection_ids)
    if not ids:
        return None
    mean = proba.mean(axis=0)
    b = int(mean.argmax())
    return SexAgeSuggestion(ids[0], classifier.classes_[b], float(mean[b]))


def accept_suggestion(
    session: Session,
    ref,
    suggestion: SexAgeSuggestion,
    *,
    actor: Actor | None = None,
    user: str = "",
) -> str:
    """Write ``suggestion`` to the detections of ``ref`` (a review ``TrackRef``) because a
    reviewer clicked it; returns the audit action id (undo reverts it like any review action)."""
    from deertrack_core import review

    if suggestion.value not in CLASSES:
        raise ValidationError({"sex_age": f"use one of {', '.join(CLASSES)}"})
    action_id = review.set_sex_age(session, ref, suggestion.value, actor=actor, user=user)
    session.execute(
        update(Correction)
        .where(Correction.action_id == action_id)
        .values(action=f"sex/age suggestion p={suggestion.probability:.2f}")
    )
    return action_id


def labels_version(session: Session, model: str) -> tuple:
    """A cheap fingerprint of what :func:`fit_from_reviews` learns from (the sex/age labels
    and ``model``'s cached embeddings): equal fingerprints give the same classifier."""
    from sqlalchemy import func

    from deertrack_core.models import Embedding

    return tuple(
        session.execute(
            select(
                select(func.count(Detection.id))
                .where(Detection.sex_age.in_(CLASSES))
                .scalar_subquery(),
                select(func.max(Correction.id))
                .where(Correction.field == "sex_age")
                .scalar_subquery(),
                select(func.count(Embedding.id)).where(Embedding.model == model).scalar_subquery(),
            )
        ).one()
    )

"""A target / not-target classifier learned from the user's own labels on cached embeddings.

Where no better source names a species (no reviewer, tag, SpeciesNet or MegaDetector label),
a logistic regression over the re-identification embeddings (cached per detection, so nothing is
embedded twice) says whether a box is of the target species. It learns from the user's own
labels: species a reviewer chose, photo tags (species folders, XMP), and identities a reviewer
confirmed (a confirmed deer is a deer). Its cross-validated accuracy is stored with it (and shown
by ``deertrack species``); it is used only when it has seen enough of both kinds.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from deertrack_core import auth, db, settings
from deertrack_core.errors import DeertrackError
from deertrack_core.models import Detection, MatchStatus, SpeciesClassifier, SpeciesLabel
from deertrack_core.progress import ProgressCallback
from deertrack_core.species import add_labels, from_name, is_target, target_needles

log = logging.getLogger(__name__)

MIN_PER_CLASS = 5
FOLDS = 5
SOURCE = "classifier"
NOT_TARGET = "not a target species"


class InsufficientLabelsError(DeertrackError):
    """Too few labelled detections of one kind to learn from."""


@dataclass(frozen=True)
class ClassifierSummary:
    id: int
    model: str
    targets: str
    positives: int
    negatives: int
    cv_accuracy: float
    cv_folds: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def training_labels(session: Session, needles: list[str]) -> tuple[list[int], np.ndarray]:
    """(detection ids, 1 = target) from the user's own labels."""
    labels: dict[int, bool] = {}
    for det_id, taxonomy in session.execute(
        select(SpeciesLabel.detection_id, SpeciesLabel.taxonomy).where(SpeciesLabel.source == "tag")
    ):
        labels[det_id] = is_target(taxonomy, needles)
    for det_id, taxonomy, status, deer in session.execute(
        select(Detection.id, Detection.species_taxonomy, Detection.match_status, Detection.deer_id)
        .where(Detection.category == "animal")
        .where(
            or_(
                Detection.species_source == "reviewer",
                Detection.match_status.in_(
                    (MatchStatus.CONFIRMED.value, MatchStatus.CORRECTED.value)
                ),
            )
        )
    ):
        if taxonomy is not None:  # a reviewer's species wins over a tag
            labels[det_id] = is_target(taxonomy, needles)
        elif deer is not None and status in (
            MatchStatus.CONFIRMED.value,
            MatchStatus.CORRECTED.value,
        ):
            labels[det_id] = True
    ids = sorted(labels)
    return ids, np.array([labels[i] for i in ids], dtype=bool)


def _embedder(embedder):
    from deertrack_core.reid.embedders import get_embedder

    return (
        embedder
        if embedder is not None and not isinstance(embedder, str)
        else get_embedder(embedder)
    )


def fit_classifier(
    url: str | None = None,
    *,
    actor: auth.Actor | None = None,
    user: str = "",
    embedder: Any = None,
    folds: int = FOLDS,
    min_per_class: int = MIN_PER_CLASS,
    progress: ProgressCallback | None = None,
) -> ClassifierSummary:
    """Fit and store the classifier on the user's labels; report its cross-validated accuracy.
    ``actor`` must be an admin (``user`` names the laptop mode's implicit admin)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from deertrack_core.reid.cache import ensure_embeddings

    user = auth.require_url(url, actor, auth.ADMIN, "train the species classifier", name=user).name
    emb = _embedder(embedder)
    targets = settings.target_species()
    needles = target_needles(targets)
    with db.session_scope(url) as session:
        ids, y = training_labels(session, needles)
        pos, neg = int(y.sum()), int((~y).sum())
        if min(pos, neg) < min_per_class:
            raise InsufficientLabelsError(
                f"The classifier needs at least {min_per_class} labelled animals of each kind; "
                f"there are {pos} of the target species and {neg} of others.",
                "Label more: species folders or XMP tags, 'not a deer' on the Review page, or "
                "confirm identities.",
            )
        vectors = ensure_embeddings(session, ids, emb, progress=progress)
    keep = [i for i, det in enumerate(ids) if det in vectors]
    X = np.stack([vectors[ids[i]] for i in keep])
    y = y[keep]
    k = max(2, min(folds, int(y.sum()), int((~y).sum())))
    model = LogisticRegression(max_iter=2000, class_weight="balanced")
    scores = cross_val_score(model, X, y, cv=StratifiedKFold(k, shuffle=True, random_state=0))
    model.fit(X, y)
    weights = np.concatenate([model.coef_[0], model.intercept_]).astype("<f4")
    with db.session_scope(url) as session:
        row = SpeciesClassifier(
            model=emb.name, targets=targets[:400], weights=weights.tobytes(), dim=X.shape[1],
            positives=int(y.sum()), negatives=int((~y).sum()), cv_accuracy=float(scores.mean()),
            cv_folds=k, trained_by=user,
        )  # fmt: skip
        session.add(row)
        session.flush()
        summary = ClassifierSummary(row.id, emb.name, row.targets, row.positives, row.negatives,
                                    row.cv_accuracy, k)  # fmt: skip
    log.info(
        "species classifier %s: cv accuracy %.3f (%d folds)", summary.id, summary.cv_accuracy, k
    )
    return summary


def latest(session: Session, model: str | None = None) -> SpeciesClassifier | None:
    stmt = select(SpeciesClassifier).order_by(
        SpeciesClassifier.trained_at.desc(), SpeciesClassifier.id.desc()
    )
    if model:
        stmt = stmt.where(SpeciesClassifier.model == model)
    return session.scalars(stmt.limit(1)).first()


def predict(row: SpeciesClassifier, vectors: np.ndarray) -> np.ndarray:
    """P(target) for each row of ``vectors`` under a stored classifier."""
    w = np.frombuffer(row.weights, dtype="<f4").astype(np.float64)
    return 1.0 / (1.0 + np.exp(-(np.asarray(vectors, dtype=np.float64) @ w[:-1] + w[-1])))


def apply_classifier(
    url: str | None = None,
    *,
    actor: auth.Actor | None = None,
    embedder: Any = None,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Label the animal boxes that no better source has labelled with the latest classifier of
    the embedder (and the current targets); return counts of target and not-target boxes.
    ``actor`` must be an admin."""
    from deertrack_core.reid.cache import ensure_embeddings

    auth.require_url(url, actor, auth.ADMIN, "apply the species classifier")
    emb = _embedder(embedder)
    targets = settings.target_species()
    with db.session_scope(url) as session:
        row = latest(session, emb.name)
        if row is None or row.targets != targets[:400]:
            raise InsufficientLabelsError(
                f"There is no species classifier for {emb.name} and the targets {targets!r}.",
                "Fit one first: deertrack species --fit.",
            )
        labelled = select(SpeciesLabel.detection_id).where(SpeciesLabel.source != SOURCE)
        ids = list(
            session.scalars(
                select(Detection.id).where(
                    Detection.category == "animal",
                    Detection.species_source.is_distinct_from("reviewer"),
                    Detection.id.not_in(labelled),
                )
            )
        )
        vectors = ensure_embeddings(session, ids, emb, progress=progress)
        ids = [i for i in ids if i in vectors]
        p = predict(row, np.stack([vectors[i] for i in ids])) if ids else np.zeros(0)
        first = targets.split(",")[0].strip() or "white-tailed deer"
        taxon = from_name(first)
        rows = [
            {"detection_id": i, "source": SOURCE, "score": float(max(s, 1 - s)),
             "label": first if s >= 0.5 else NOT_TARGET,
             "taxonomy": (taxon.key if taxon.known else f";;;;;;{first.lower()};") if s >= 0.5
             else f";;;;;;{NOT_TARGET};"}
            for i, s in zip(ids, p, strict=True)
        ]  # fmt: skip
        add_labels(session, rows)
        from deertrack_core.species import withdraw_non_target

        withdraw_non_target(session)
    return {"target": int((p >= 0.5).sum()), "not_target": int((p < 0.5).sum())}

"""Calibrate, then match: the first re-identification pass over a newly loaded archive.

Once some detections are reviewed, the sensible order is: score the reviewed evidence
(backfill), pick a threshold from it for a goal (target precision by default: a false merge
corrupts every count downstream), record that threshold, then decide the pending detections with
it. ``deertrack demo`` runs this after loading the season; ``deertrack reid --calibrate`` runs it
on any archive.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from deertrack_core import db
from deertrack_core.auth import ADMIN, Actor, require_url
from deertrack_core.progress import ProgressCallback
from deertrack_core.reid import active
from deertrack_core.reid.backfill import backfill
from deertrack_core.reid.calibration import ThresholdCalibrator, evidence_pairs
from deertrack_core.reid.matching import MatchSummary, match_pending

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalibratedPass:
    model: str
    threshold: float
    goal: str
    roc_auc: float
    precision: float  # on the reviewed evidence, at the threshold
    recall: float
    match: MatchSummary

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def calibrate_and_match(
    url: str | None = None,
    *,
    user: str = "",
    actor: Actor | None = None,
    goal: str = "precision",
    target_precision: float = 0.95,
    embedder: Any = None,
    progress: ProgressCallback | None = None,
) -> CalibratedPass:
    """Backfill the reviewed evidence, apply the threshold recommended for ``goal``, then match
    every pending detection. Raises ``InsufficientEvidenceError`` (with what to do) when too few
    detections are reviewed. ``actor`` must be an admin (checked before anything runs)."""
    actor = require_url(url, actor, ADMIN, "apply a match threshold", name=user)
    filled = backfill(url, embedder=embedder, progress=progress)
    with db.session_scope(url) as session:
        scores, same = evidence_pairs(session, filled.model)
        calibrator = ThresholdCalibrator(goal=goal, target_precision=target_precision)
        calibrator.fit(scores, same)
        threshold = calibrator.recommended_threshold_
        label = f"precision>={target_precision:g}" if goal == "precision" else goal
        active.record(
            session, threshold, model=filled.model, goal=label,
            evidence=calibrator.evidence(), actor=actor,
        )  # fmt: skip
        at = calibrator.metrics_at(threshold)
    log.info("applied threshold %.3f (%s) for %s", threshold, label, filled.model)
    summary = match_pending(url, embedder=embedder, threshold=threshold, progress=progress)
    return CalibratedPass(
        model=filled.model, threshold=threshold, goal=label, roc_auc=calibrator.roc_.auc,
        precision=at.precision, recall=at.recall, match=summary,
    )  # fmt: skip

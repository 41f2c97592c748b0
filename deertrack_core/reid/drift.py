"""Thresholds that follow the evidence: does the recorded threshold still meet its goal?

As reviews accumulate, :func:`drift_report` refits the calibrator on a model's current reviewed
evidence and measures the precision of the threshold recorded for that model, with a Wilson 95%
interval (the evidence is small). The verdict:

* ``meets``: the whole interval lies at or above the target precision;
* ``fails``: the whole interval lies below it;
* ``uncertain``: the interval straddles the target (review more to know);
* ``untested``: no evidence pair scores at or above the threshold yet.

The interval treats pairs as independent, which they are not quite (one detection is scored
against every deer), so read it as a lower bound on the real uncertainty.

:func:`auto_apply` is the opt-in (``DEERTRACK_AUTO_THRESHOLD=on``) that records the refit's
recommendation once ``DEERTRACK_AUTO_THRESHOLD_PAIRS`` new same-deer pairs have been reviewed
since the recorded threshold; it is written like a manual apply (a ``reid_settings`` row with
its evidence), by the user ``auto-calibration``. :func:`threshold_history` lists every recorded
threshold with its evidence, for the Threshold page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from deertrack_core import settings
from deertrack_core.auth import Actor
from deertrack_core.models import ReidSetting
from deertrack_core.reid.active import record as apply_threshold
from deertrack_core.reid.calibration import ThresholdCalibrator, evidence_pairs

log = logging.getLogger(__name__)

AUTO_USER = "auto-calibration"
DEFAULT_TARGET = 0.95


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (``(0, 1)`` when ``n`` is 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)  # exact ends, not 0.9999999999
    return lo, hi


def verdict(called: int, interval: tuple[float, float], target: float) -> str:
    if called == 0:
        return "untested"
    lo, hi = interval
    if lo >= target:
        return "meets"
    if hi < target:
        return "fails"
    return "uncertain"


@dataclass(frozen=True)
class ThresholdRecord:
    id: int
    model: str
    threshold: float
    goal: str
    set_by: str
    set_at: dt.datetime
    kind: str  # manual | automatic | promotion | rollback
    evidence: dict[str, Any]


def _kind(row: ReidSetting) -> str:
    ev = row.evidence or {}
    if row.set_by == AUTO_USER or ev.get("auto"):
        return "automatic"
    if "promoted_version" in ev:
        return "promotion"
    if "rolled_back" in ev:
        return "rollback"
    return "manual"


def threshold_history(session: Session, model: str | None = None) -> list[ThresholdRecord]:
    """Every recorded threshold (of ``model``, or all), newest first, with its evidence."""
    query = select(ReidSetting).order_by(ReidSetting.set_at.desc(), ReidSetting.id.desc())
    if model:
        query = query.where(ReidSetting.model == model)
    return [
        ThresholdRecord(
            r.id,
            r.model,
            float(r.threshold),
            r.goal,
            r.set_by,
            r.set_at,
            _kind(r),
            dict(r.evidence or {}),
        )  # fmt: skip
        for r in session.scalars(query)
    ]


def honest_evidence(session: Session, model: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Same/different evidence pairs for ``model`` from reviewed detections it was not trained
    on (a fine-tuned version has pulled its own training crops together: scoring a threshold on
    them would overstate its precision). Also returns how many detections were left out."""
    from deertrack_core.reid.scores import load_labelled
    from deertrack_core.reid.versions import trained_detections

    gallery = load_labelled(session, model)
    trained = trained_detections(session, model)
    left_out = 0
    if trained:
        seen = np.isin(gallery.detection_ids, list(trained))
        left_out = int((seen & gallery.reviewed).sum())
        gallery = dataclasses.replace(gallery, reviewed=gallery.reviewed & ~seen)
    scores, same = evidence_pairs(session, model, gallery=gallery)
    return scores, same, left_out


def _target(row: ReidSetting | None) -> float:
    ev = (row.evidence or {}) if row is not None else {}
    value = ev.get("target_precision")
    if isinstance(value, (int, float)) and 0 < value <= 1:
        return float(value)
    return DEFAULT_TARGET


def _recorded_pairs(rows: list[ReidSetting]) -> int:
    """Same-deer pairs the latest threshold with evidence was fitted on."""
    for r in rows:
        pairs = (r.evidence or {}).get("same_pairs")
        if isinstance(pairs, int):
            return pairs
    return 0


@dataclass(frozen=True)
class DriftReport:
    model: str
    threshold: float  # the recorded one (DEERTRACK_MATCH_THRESHOLD when none is recorded)
    recorded: bool
    recorded_at: dt.datetime | None
    target_precision: float
    precision: float  # of the pairs scoring at or above the threshold, on today's evidence
    interval: tuple[float, float]  # Wilson 95%
    called: int  # pairs at or above the threshold (the n of that precision)
    verdict: str  # meets | uncertain | fails | untested
    recommended: float  # what the refit recommends for the target
    recommended_achieved: bool  # False when no threshold reaches the target on this evidence
    recommended_precision: float
    recommended_interval: tuple[float, float]
    same_pairs: int
    different_pairs: int
    new_pairs: int  # same-deer pairs added since the recorded threshold was fitted
    roc_auc: float
    trained_left_out: int  # reviewed detections left out: the model was trained on them

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def drift_report(session: Session, model: str | None = None) -> DriftReport:
    """Refit on ``model``'s reviewed evidence (the active model by default) and test its recorded
    threshold. Raises ``InsufficientEvidenceError`` when there is too little evidence."""
    from deertrack_core.reid.active import active_threshold

    model = model or active_threshold(session)[0]
    rows = list(
        session.scalars(
            select(ReidSetting)
            .where(ReidSetting.model == model)
            .order_by(ReidSetting.set_at.desc(), ReidSetting.id.desc())
        )
    )
    latest = rows[0] if rows else None
    threshold = float(latest.threshold) if latest else settings.match_threshold()
    target = _target(latest)
    scores, same, left_out = honest_evidence(session, model)
    cal = ThresholdCalibrator("precision", target).fit(scores, same)
    at = cal.metrics_at(threshold)
    rec = cal.recommendation_
    interval = wilson_interval(at.tp, at.tp + at.fp)
    rec_interval = wilson_interval(rec.metrics.tp, rec.metrics.tp + rec.metrics.fp)
    return DriftReport(
        model=model, threshold=threshold, recorded=latest is not None,
        recorded_at=latest.set_at if latest else None, target_precision=target,
        precision=at.precision, interval=interval, called=at.tp + at.fp,
        verdict=verdict(at.tp + at.fp, interval, target), recommended=rec.threshold,
        recommended_achieved=rec.achieved, recommended_precision=rec.metrics.precision,
        recommended_interval=rec_interval, same_pairs=cal.n_same_,
        different_pairs=cal.n_different_, new_pairs=max(0, cal.n_same_ - _recorded_pairs(rows)),
        roc_auc=cal.roc_.auc, trained_left_out=left_out,
    )  # fmt: skip


@dataclass(frozen=True)
class AutoDecision:
    applied: bool
    reason: str
    threshold: float | None  # the threshold in force afterwards
    report: DriftReport | None


def auto_apply(session: Session, *, force: bool = False) -> AutoDecision:
    """Apply the refit's recommendation for the active model when the opt-in setting is on (or
    ``force``) and enough new evidence has come in; the caller commits."""
    from deertrack_core.reid.calibration import InsufficientEvidenceError

    if not (force or settings.auto_threshold()):
        return AutoDecision(False, "DEERTRACK_AUTO_THRESHOLD is off", None, None)
    try:
        report = drift_report(session)
    except InsufficientEvidenceError as exc:
        return AutoDecision(False, exc.problem, None, None)
    need = settings.auto_threshold_pairs()
    if report.new_pairs < need:
        reason = f"{report.new_pairs} new same-deer pairs of the {need} needed for a refit"
        return AutoDecision(False, reason, report.threshold, report)
    if not report.recommended_achieved:
        reason = f"no threshold reaches precision {report.target_precision:g} on the evidence"
        return AutoDecision(False, reason, report.threshold, report)
    if abs(report.recommended - report.threshold) < 1e-9:
        return AutoDecision(False, "the refit recommends the recorded threshold", report.threshold,
                            report)  # fmt: skip
    scores, same, left_out = honest_evidence(session, report.model)
    cal = ThresholdCalibrator("precision", report.target_precision).fit(scores, same)
    evidence = {
        **cal.evidence(), "auto": True, "new_pairs": report.new_pairs,
        "previous_threshold": report.threshold, "previous_verdict": report.verdict,
        "precision_interval": list(report.recommended_interval),
        "trained_left_out": left_out,
    }  # fmt: skip
    apply_threshold(session, report.recommended, model=report.model,
                    goal=f"precision>={report.target_precision:g}", evidence=evidence,
                    actor=Actor.console(AUTO_USER))  # fmt: skip  (the admin's opt-in setting acts)
    log.info("automatic threshold %.3f for %s (was %.3f; %d new same-deer pairs)",
             report.recommended, report.model, report.threshold, report.new_pairs)  # fmt: skip
    return AutoDecision(True, f"applied after {report.new_pairs} new same-deer pairs",
                        report.recommended, report)  # fmt: skip

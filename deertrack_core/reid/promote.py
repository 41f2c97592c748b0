"""Promote a model version, or roll back to the model before it — each as one call.

Promotion, in order, so that a failure part-way leaves the archive as it was:

1. re-embed every animal detection with the version (cached under ``version:<name>``, beside the
   old model's vectors, which stay);
2. re-score: backfill the reviewed evidence under the version;
3. in one transaction: calibrate a threshold for the version on that evidence (the goal of the
   active setting, precision ≥ 0.95 by default), record it as the active setting, and return the
   machine's own decisions (``auto``, ``proposed``) to pending; reviewed detections and
   individuals the matcher created (``new``) are left alone;
4. re-match the pending detections with the version.

Rollback records the setting that was active before the current model (model and threshold) as a
new ``reid_settings`` row, and re-matches the machine's decisions with it; the old model's
vectors are still cached, so this costs matching only.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, null, select, update
from sqlalchemy.orm import Session

from deertrack_core import db, settings
from deertrack_core.auth import ADMIN, Actor, require_url
from deertrack_core.errors import NotFoundError
from deertrack_core.models import Deer, Detection, Image, MatchStatus, ReidSetting
from deertrack_core.progress import ProgressCallback, scaled
from deertrack_core.reid import versions
from deertrack_core.reid.active import record as apply_threshold
from deertrack_core.reid.backfill import backfill
from deertrack_core.reid.calibration import InsufficientEvidenceError, ThresholdCalibrator
from deertrack_core.reid.embedders import get_embedder
from deertrack_core.reid.matching import MatchSummary, match_pending
from deertrack_core.reid.scores import vectors_for

log = logging.getLogger(__name__)

MACHINE_DECISIONS = (MatchStatus.AUTO.value, MatchStatus.PROPOSED.value)
DEFAULT_TARGET = 0.95
_EMBED_CHUNK = 2000  # detections per transaction: a long re-embed commits as it goes


@dataclass(frozen=True)
class SwitchSummary:
    """What a promotion or rollback did."""

    action: str  # "promote" or "rollback"
    model: str
    threshold: float
    threshold_note: str
    previous_model: str
    previous_threshold: float
    embedded: int  # detections with a vector of the new model after the switch
    reset: int  # machine decisions returned to pending before re-matching
    match: MatchSummary

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def active_row(session: Session) -> ReidSetting | None:
    return session.scalars(
        select(ReidSetting).order_by(ReidSetting.set_at.desc(), ReidSetting.id.desc()).limit(1)
    ).first()


def target_precision(row: ReidSetting | None) -> float:
    """The precision goal of a recorded setting (the default when it had another goal)."""
    if row is not None and isinstance(row.evidence, dict):
        value = row.evidence.get("target_precision")
        if isinstance(value, (int, float)) and 0 < value <= 1 and row.goal.startswith("precision"):
            return float(value)
    return DEFAULT_TARGET


def reset_machine_decisions(session: Session) -> int:
    """Return ``auto``/``proposed`` detections to pending (bumping their version, so a reviewer
    holding the old state gets a conflict), and recompute the touched deer's first/last seen."""
    touched = set(
        session.scalars(
            select(Detection.deer_id)
            .where(Detection.match_status.in_(MACHINE_DECISIONS), Detection.deer_id.is_not(None))
            .distinct()
        )
    )
    result = session.execute(
        update(Detection)
        .where(Detection.match_status.in_(MACHINE_DECISIONS))
        .values(
            deer_id=None,
            match_status=MatchStatus.PENDING.value,
            match_score=None,
            candidates=null(),
            version=Detection.version + 1,
        )  # fmt: skip
        .execution_options(synchronize_session=False)
    )
    for deer_id in touched:
        first, last = session.execute(
            select(func.min(Image.captured_at), func.max(Image.captured_at))
            .join(Detection, Detection.image_id == Image.id)
            .where(Detection.deer_id == deer_id)
        ).one()
        session.execute(
            update(Deer).where(Deer.id == deer_id).values(first_seen=first, last_seen=last)
        )
    return int(result.rowcount or 0)


def embed_all(url: str | None, embedder: Any, progress: ProgressCallback | None = None) -> int:
    """Vectors of ``embedder`` for every animal detection not rejected, committed in chunks."""
    with db.session_scope(url) as session:
        ids = list(
            session.scalars(
                select(Detection.id)
                .where(
                    Detection.category == "animal",
                    Detection.match_status != MatchStatus.REJECTED.value,
                )
                .order_by(Detection.id)
            )
        )
    have = 0
    for start in range(0, len(ids), _EMBED_CHUNK):
        with db.session_scope(url) as session:
            have += len(vectors_for(session, embedder.name, ids[start : start + _EMBED_CHUNK],
                                    embedder=embedder))  # fmt: skip
        if progress:
            progress(
                min(start + _EMBED_CHUNK, len(ids)), len(ids), f"embedded with {embedder.name}"
            )
    return have


def _threshold_for(session: Session, model: str, target: float) -> tuple[float, str, dict]:
    from deertrack_core.reid.drift import honest_evidence

    try:
        scores, same, left_out = honest_evidence(session, model)
        calibrator = ThresholdCalibrator("precision", target).fit(scores, same)
    except InsufficientEvidenceError as exc:
        t = settings.match_threshold()
        note = f"DEERTRACK_MATCH_THRESHOLD {t:.3f}: too little reviewed evidence ({exc.problem})"
        return t, note, {"note": note}
    t = calibrator.recommended_threshold_
    note = f"calibrated for precision>={target:g} on {calibrator.n_same_} same-deer pairs"
    if left_out:
        note += f" of detections it was not trained on ({left_out} left out)"
    return t, note, {**calibrator.evidence(), "trained_left_out": left_out}


def _switch(
    url: str | None,
    action: str,
    embedder: Any,
    *,
    user: str,
    actor: Actor | None,
    threshold: float | None,
    goal: str,
    extra: dict[str, Any],
    progress: ProgressCallback | None,
) -> SwitchSummary:
    embedded = embed_all(url, embedder, scaled(progress, 0, 600))
    backfill(url, embedder=embedder, progress=scaled(progress, 600, 750))
    with db.session_scope(url) as session:
        row = active_row(session)
        prev_model = row.model if row else settings.embedder_name()
        prev_t = float(row.threshold) if row else settings.match_threshold()
        target = target_precision(row)
        if threshold is None:
            threshold, note, evidence = _threshold_for(session, embedder.name, target)
            goal = f"precision>={target:g}"
        else:
            note, evidence = "restored", {}
        evidence = {**evidence, **extra, "previous": {"model": prev_model, "threshold": prev_t}}
        apply_threshold(session, threshold, model=embedder.name, goal=goal, evidence=evidence,
                        user=user, actor=actor)  # fmt: skip
        reset = reset_machine_decisions(session)
    log.info("%s: %s at threshold %.3f (%s); %d decisions to re-make",
             action, embedder.name, threshold, note, reset)  # fmt: skip
    summary = match_pending(
        url, embedder=embedder, threshold=threshold, progress=scaled(progress, 750, 1000)
    )
    return SwitchSummary(action, embedder.name, float(threshold), note, prev_model, prev_t,
                         embedded, reset, summary)  # fmt: skip


def promote(
    url: str | None = None,
    name: str = "latest",
    *,
    user: str = "",
    actor: Actor | None = None,
    device: str | None = None,
    progress: ProgressCallback | None = None,
) -> SwitchSummary:
    """Make version ``name`` (or ``latest``) the active model (see the module docstring);
    ``actor`` must be an admin."""
    actor = require_url(url, actor, ADMIN, "promote a model version", name=user)
    with db.session_scope(url) as session:
        version = versions.get_version(session, name).name
    embedder = get_embedder(versions.PREFIX + version, device)
    return _switch(url, "promote", embedder, user=user, actor=actor, threshold=None, goal="",
                   extra={"promoted_version": version}, progress=progress)  # fmt: skip


def rollback(
    url: str | None = None,
    *,
    user: str = "",
    actor: Actor | None = None,
    device: str | None = None,
    progress: ProgressCallback | None = None,
) -> SwitchSummary:
    """Return to the model (and its threshold) that was active before the current one;
    ``actor`` must be an admin."""
    actor = require_url(url, actor, ADMIN, "roll back the model", name=user)
    with db.session_scope(url) as session:
        rows = session.scalars(
            select(ReidSetting).order_by(ReidSetting.set_at.desc(), ReidSetting.id.desc())
        ).all()
        if not rows:
            raise NotFoundError("No model was ever promoted: there is nothing to roll back.")
        current = rows[0].model
        earlier = next((r for r in rows if r.model != current), None)
        if earlier is not None:
            model, threshold, goal = earlier.model, float(earlier.threshold), earlier.goal
        elif settings.embedder_name() != current:
            model, threshold, goal = settings.embedder_name(), settings.match_threshold(), ""
        else:
            raise NotFoundError(
                f"{current} has been the only model in use: there is nothing to roll back to."
            )
    embedder = get_embedder(model, device)
    return _switch(url, "rollback", embedder, user=user, actor=actor, threshold=threshold,
                   goal=goal or "rollback", extra={"rolled_back": current}, progress=progress)  # fmt: skip

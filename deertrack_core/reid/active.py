"""The active re-identification setting: which model matches, at which threshold.

The latest ``reid_settings`` row is active; with none recorded, the settings are
(``DEERTRACK_EMBEDDER``, ``DEERTRACK_MATCH_THRESHOLD``). A recorded threshold applies only to the
model it was calibrated for: a run on another model uses the configured default threshold.
Every change is a new row with who set it, for which goal and from what evidence, so the history
stays readable.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deertrack_core import settings
from deertrack_core.auth import ADMIN, Actor, require
from deertrack_core.errors import ValidationError
from deertrack_core.models import ReidSetting


@dataclass(frozen=True)
class ActiveReid:
    model: str
    threshold: float
    goal: str = ""
    set_by: str | None = None  # None: nothing recorded, the settings apply
    set_at: dt.datetime | None = None

    @property
    def recorded(self) -> bool:
        return self.set_by is not None


def current(session: Session) -> ActiveReid:
    """The active model and threshold: the latest reid_settings row, else the settings."""
    row = session.scalars(
        select(ReidSetting).order_by(ReidSetting.set_at.desc(), ReidSetting.id.desc()).limit(1)
    ).first()
    if row is None:
        return ActiveReid(settings.embedder_name(), settings.match_threshold())
    return ActiveReid(row.model, float(row.threshold), row.goal or "", row.set_by, row.set_at)


def active_threshold(session: Session) -> tuple[str, float]:
    """``(model, threshold)`` of :func:`current`."""
    now = current(session)
    return now.model, now.threshold


def for_run(
    session: Session, *, model: str | None = None, threshold: float | None = None
) -> tuple[str, float]:
    """Model and threshold of a matching or scoring run: an explicit model/threshold wins; the
    active threshold applies when the run's model is the active model, else the default."""
    now = current(session)
    model = model or now.model
    if threshold is None:
        threshold = now.threshold if model == now.model else settings.match_threshold()
    return model, float(threshold)


def record(
    session: Session,
    threshold: float,
    *,
    model: str,
    goal: str,
    evidence: dict[str, Any],
    user: str = "",
    actor: Actor | None = None,
) -> ReidSetting:
    """Record ``threshold`` for ``model`` as the active one (a new reid_settings row; the caller
    commits). Re-running matching afterwards applies it to pending detections. ``actor`` must be
    an admin (``user`` names the laptop mode's implicit admin)."""
    actor = require(session, actor, ADMIN, "apply a match threshold", name=user)
    if math.isnan(threshold) or not -1.0 <= threshold <= 1.0:
        raise ValidationError({"threshold": f"{threshold} is not a cosine similarity in [-1, 1]"})
    if not model:
        raise ValidationError({"model": "name the embedding model the threshold was measured on"})
    row = ReidSetting(
        model=model, threshold=float(threshold), goal=goal, evidence=evidence, set_by=actor.name
    )
    session.add(row)
    session.flush()
    return row

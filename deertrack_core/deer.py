"""Helpers about individual deer shared by the review queue, the individuals screen and undo.

A deer merged into another lives on in the one it joined (:func:`live_deer`); its first/last seen
span follows its detections (:func:`refresh_span`); its exemplar is what a screen shows of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from deertrack_core.models import Deer, Detection, Image, MatchStatus


@dataclass(frozen=True)
class Crop:
    """A box on a photo: what the UI needs to draw a thumbnail."""

    detection_id: int
    path: str
    box: tuple[float, float, float, float]


def live_deer(session: Session, deer_id: int) -> Deer | None:
    """Deer ``deer_id``, or the deer it was merged into (following chains of merges)."""
    deer = session.get(Deer, deer_id)
    while deer is not None and deer.merged_into is not None:
        deer = session.get(Deer, deer.merged_into)
    return deer


def refresh_span(session: Session, deer_ids: Iterable[int | None]) -> None:
    """Recompute first/last seen of the given deer from their detections."""
    for deer_id in {d for d in deer_ids if d is not None}:
        deer = session.get(Deer, deer_id)
        if deer is None:
            continue
        first, last = session.execute(
            select(func.min(Image.captured_at), func.max(Image.captured_at))
            .join(Detection, Detection.image_id == Image.id)
            .where(Detection.deer_id == deer_id)
        ).one()
        deer.first_seen, deer.last_seen = first, last


def next_deer_name(session: Session) -> str:
    n = (session.scalar(select(func.max(Deer.id))) or 0) + 1
    return f"Deer {n:03d}"


def exemplar(session: Session, deer_id: int) -> Crop | None:
    """The deer's exemplar crop: its chosen detection, else its best-scoring one."""
    deer = session.get(Deer, deer_id)
    if deer is None:
        return None
    stmt = (
        select(Detection.id, Image.path, Detection.x, Detection.y, Detection.w, Detection.h)
        .join(Image, Image.id == Detection.image_id)
        .where(Detection.deer_id == deer_id, Detection.match_status != "rejected")
    )
    row = None
    if deer.exemplar_detection_id is not None:
        row = session.execute(stmt.where(Detection.id == deer.exemplar_detection_id)).first()
    if row is None:
        reviewed = Detection.match_status.in_(MatchStatus.reviewed())
        order = reviewed.desc(), Detection.match_score.desc()
        row = session.execute(stmt.order_by(*order, Detection.id).limit(1)).first()
    if row is None:
        return None
    return Crop(row[0], row[1], (row[2], row[3], row[4], row[5]))


def known_deer(session: Session, search: str = "", *, limit: int = 200) -> list[tuple[int, str]]:
    """(id, name) of deer not merged away, for a picker."""
    stmt = select(Deer.id, Deer.name).where(Deer.merged_into.is_(None))
    if search:
        stmt = stmt.where(or_(Deer.name.ilike(f"%{search}%")))
    return [(int(i), n) for i, n in session.execute(stmt.order_by(Deer.name).limit(limit))]

"""Box corrections: move or resize a detection's box, add an animal the detector missed, delete
a false or duplicate box.

Every correction is one audited action (:class:`deertrack_core.audit.AuditAction`), so the audit
trail shows it and :func:`deertrack_core.audit.undo` reverts it: a move restores the old box, an
added box goes again, a deleted one comes back whole with its id. Moves and deletions name the
version of the detection the person saw (optimistic locking, as for review decisions): if
anyone changed it since, :class:`ConflictError` is raised and nothing is saved.

Boxes are normalised ``x, y, w, h`` (top-left origin) of the upright photo, as everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from deertrack_core import auth
from deertrack_core.audit import AuditAction, forget_box_caches
from deertrack_core.deer import refresh_span
from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.models import Deer, Deployment, Detection, Image, MatchStatus
from deertrack_core.review import TrackRef, locked

Box = tuple[float, float, float, float]

#: The smallest box side kept, as a share of the photo's side (smaller is a slip of the mouse).
MIN_SIDE = 0.005
#: A box may stick out of the photo by this much (a slider's rounding); it is clipped.
SLACK = 0.02
#: Where boxes added by a person come from (the MegaDetector re-import leaves them alone).
MANUAL = "manual"
CATEGORIES = ("animal", "person", "vehicle")


@dataclass(frozen=True)
class BoxRow:
    """One box of a photo, as the box editor shows it."""

    detection_id: int
    box: Box
    category: str
    confidence: float
    source: str
    status: str
    deer: str | None
    version: int

    @property
    def ref(self) -> TrackRef:
        return TrackRef(((self.detection_id, self.version),))


@dataclass(frozen=True)
class PhotoBoxes:
    image_id: int
    path: str
    width: int
    height: int
    captured_at: dt.datetime | None
    station: str
    boxes: tuple[BoxRow, ...]


def checked_box(box: Box) -> Box:
    """``box`` clipped to the photo; a box with no area, outside the photo or not a number
    is refused with the reason."""
    try:
        x, y, w, h = (float(v) for v in box)
    except (TypeError, ValueError):
        raise ValidationError({"box": "give four numbers: x, y, width, height"}) from None
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise ValidationError({"box": "x, y, width and height must be finite numbers"})
    if w < MIN_SIDE or h < MIN_SIDE:
        raise ValidationError(
            {"box": f"a box must be at least {MIN_SIDE:.1%} of the photo wide and high"}
        )
    if x < -SLACK or y < -SLACK or x + w > 1 + SLACK or y + h > 1 + SLACK:
        raise ValidationError({"box": "the box lies outside the photo (x, y, w, h are shares 0-1)"})
    left, top = max(0.0, x), max(0.0, y)
    right, bottom = min(1.0, x + w), min(1.0, y + h)
    if right - left < MIN_SIDE or bottom - top < MIN_SIDE:
        raise ValidationError({"box": "the box lies outside the photo"})
    return round(left, 6), round(top, 6), round(right - left, 6), round(bottom - top, 6)


def photo_boxes(session: Session, image_id: int) -> PhotoBoxes:
    """Every box of one photo, with what the editor needs to act on it."""
    row = session.execute(
        select(Image, Deployment.station, Deployment.camera)
        .join(Deployment, Deployment.id == Image.deployment_id)
        .where(Image.id == image_id)
    ).first()
    if row is None:
        raise NotFoundError(f"Photo {image_id} does not exist.", "Reload the page.")
    image, station, camera = row
    dets = session.execute(
        select(Detection, Deer.name)
        .outerjoin(Deer, Deer.id == Detection.deer_id)
        .where(Detection.image_id == image_id)
        .order_by(Detection.id)
    ).all()
    return PhotoBoxes(
        image.id, image.path, image.width, image.height, image.captured_at,
        f"{station}/{camera}" if camera else station,
        tuple(
            BoxRow(d.id, (d.x, d.y, d.w, d.h), d.category, d.confidence, d.source,
                   d.match_status, name, d.version)
            for d, name in dets
        ),
    )  # fmt: skip


def image_of(session: Session, detection_id: int) -> int:
    image_id = session.scalar(select(Detection.image_id).where(Detection.id == detection_id))
    if image_id is None:
        raise NotFoundError(f"Detection {detection_id} does not exist.", "Reload the page.")
    return int(image_id)


def move_box(
    session: Session, ref: TrackRef, box: Box, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    """Move or resize the box of the one detection of ``ref``. Returns the action id."""
    user = auth.require(session, actor, auth.REVIEWER, "correct a box", name=user).name
    if len(ref.versions) != 1:
        raise ValidationError({"box": "correct one box at a time"})
    new = checked_box(box)
    (det,) = locked(session, ref)
    act = AuditAction(session, "box", user)
    for field, value in zip(("x", "y", "w", "h"), new, strict=True):
        act.change(det, field, value)
    forget_box_caches(session, det)
    return act.flush()


def add_box(
    session: Session,
    image_id: int,
    box: Box,
    *,
    actor: auth.Actor | None = None,
    user: str = "",
    category: str = "animal",
) -> int:
    """Add a box the detector missed; it waits in the review queue like any new detection.
    Returns the new detection's id."""
    user = auth.require(session, actor, auth.REVIEWER, "add a box", name=user).name
    if category not in CATEGORIES:
        raise ValidationError({"category": f"use one of {', '.join(CATEGORIES)}"})
    x, y, w, h = checked_box(box)
    if session.get(Image, image_id) is None:
        raise NotFoundError(f"Photo {image_id} does not exist.", "Reload the page.")
    act = AuditAction(session, "add box", user)
    det = Detection(
        image_id=image_id, x=x, y=y, w=w, h=h, confidence=1.0, category=category,
        source=MANUAL, match_status=MatchStatus.PENDING.value,
    )  # fmt: skip
    session.add(det)
    session.flush()
    act.created(det)
    act.flush()
    return det.id


def delete_box(
    session: Session, ref: TrackRef, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    """Delete the box of the one detection of ``ref`` (a false or duplicate box); undo brings it
    back. Returns the action id."""
    user = auth.require(session, actor, auth.REVIEWER, "delete a box", name=user).name
    if len(ref.versions) != 1:
        raise ValidationError({"box": "delete one box at a time"})
    (det,) = locked(session, ref)
    deer_id = det.deer_id
    act = AuditAction(session, "delete box", user)
    act.deleted(det)
    act.flush()
    refresh_span(session, [deer_id])
    return act.id

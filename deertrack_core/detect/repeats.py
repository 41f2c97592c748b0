"""Repeat-detection elimination: boxes at the same place on many photos of one camera.

A stump, a rock or a branch that a detector takes for an animal comes back on every photo the
camera takes, at the same place (MegaDetector's best-known false positives; its own
postprocessing has a "repeat detection elimination" step). Such boxes are found per deployment
(boxes overlapping with IoU ≥ 0.85 on at least ``min_photos`` photos, small ones only: a large
box at the same place is usually an animal close to the camera), grouped as *suspected static*,
and shown to a person: :func:`confirm_repeat` keeps the group's boxes (now and later) out of
re-identification and withdraws the identities the machine gave them; :func:`unflag_repeat`
says it is a real animal after all. Both are recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from deertrack_core import auth
from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.models import Correction, Deployment, Detection, RepeatGroup

log = logging.getLogger(__name__)

IOU = 0.85
MIN_PHOTOS = 10
MAX_AREA = 0.2  # share of the photo: bigger boxes are not suspected
STATUSES = ("suspected", "confirmed", "dismissed")


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one ``x, y, w, h`` box with each row of ``boxes``."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[0] + box[2], boxes[:, 0] + boxes[:, 2])
    y2 = np.minimum(box[1] + box[3], boxes[:, 1] + boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inter
    return inter / np.maximum(union, 1e-12)


def find_clusters(
    boxes: np.ndarray, photos: np.ndarray, *, iou: float = IOU, min_photos: int = MIN_PHOTOS
) -> list[np.ndarray]:
    """Indices of the boxes of each cluster that recurs on at least ``min_photos`` photos.

    Boxes (n, 4) ``x, y, w, h`` are first counted on a coarse grid of centre and size: only
    those whose neighbourhood holds ``min_photos`` photos can be in a cluster (moving animals
    rarely are), so the greedy clustering that follows stays small. A box joins the first
    cluster whose founding box it overlaps by ``iou``.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    photos = np.asarray(photos)
    if len(boxes) < min_photos:
        return []
    step = 0.05
    keys = np.floor(
        np.column_stack(
            [boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2, boxes[:, 2], boxes[:, 3]]
        )
        / step
    ).astype(int)
    cells: dict[tuple[int, ...], set] = defaultdict(set)
    for k, p in zip(map(tuple, keys), photos, strict=True):
        cells[k].add(p)
    offsets = np.stack(np.meshgrid(*[[-1, 0, 1]] * 4, indexing="ij"), -1).reshape(-1, 4)
    candidate = np.array(
        [
            len(set().union(*(cells.get(tuple(k + o), ()) for o in offsets))) >= min_photos
            for k in keys
        ]
    )
    idx = np.flatnonzero(candidate)
    founders: list[int] = []
    members: list[list[int]] = []
    for i in idx:
        if founders:
            overlap = iou_one_to_many(boxes[i], boxes[founders])
            j = int(np.argmax(overlap))
            if overlap[j] >= iou:
                members[j].append(int(i))
                continue
        founders.append(int(i))
        members.append([int(i)])
    return [np.array(m) for m in members if len(set(photos[m].tolist())) >= min_photos]


@dataclass(frozen=True)
class RepeatView:
    id: int
    deployment_id: int
    deployment: str
    box: tuple[float, float, float, float]
    photos: int
    detections: int
    status: str
    decided_by: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_repeats(
    session: Session,
    deployment_ids: list[int] | None = None,
    *,
    iou: float = IOU,
    min_photos: int = MIN_PHOTOS,
    max_area: float = MAX_AREA,
) -> list[int]:
    """Group recurring animal boxes of each deployment; return the ids of the groups found or
    grown. A group found before (same place) keeps its id and its decision. The caller commits."""
    if not 0 < iou <= 1 or min_photos < 2:
        raise ValidationError({"repeats": "iou must be in (0, 1] and min_photos at least 2"})
    from deertrack_core.models import Image

    deps = deployment_ids or list(session.scalars(select(Deployment.id)))
    found: list[int] = []
    for dep in deps:
        rows = session.execute(
            select(
                Detection.id, Detection.image_id, Detection.x, Detection.y, Detection.w, Detection.h
            )
            .join(Image, Image.id == Detection.image_id)
            .where(
                Image.deployment_id == dep,
                Detection.category == "animal",
                Detection.w * Detection.h <= max_area,
                Detection.reviewed_by.is_(None),
            )
        ).all()
        if len(rows) < min_photos:
            continue
        boxes = np.array([[r.x, r.y, r.w, r.h] for r in rows])
        photos = np.array([r.image_id for r in rows])
        groups = list(session.scalars(select(RepeatGroup).where(RepeatGroup.deployment_id == dep)))
        for cluster in find_clusters(boxes, photos, iou=iou, min_photos=min_photos):
            mean = boxes[cluster].mean(axis=0)
            group = next(
                (
                    g
                    for g in groups
                    if iou_one_to_many(np.array([g.x, g.y, g.w, g.h]), mean[None])[0] >= iou
                ),
                None,
            )
            if group is None:
                group = RepeatGroup(deployment_id=dep, x=0.0, y=0.0, w=0.0, h=0.0)
                session.add(group)
                groups.append(group)
            group.x, group.y, group.w, group.h = (float(v) for v in mean)
            session.flush()
            ids = [rows[i].id for i in cluster]
            session.execute(
                update(Detection).where(Detection.id.in_(ids)).values(repeat_group_id=group.id)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            group.photos = int(
                session.scalar(
                    select(func.count(func.distinct(Detection.image_id))).where(
                        Detection.repeat_group_id == group.id
                    )
                )
            )
            found.append(group.id)
    session.flush()
    log.info("repeat detection: %d groups in %d deployments", len(found), len(deps))
    return found


def list_repeats(session: Session, status: str | None = None) -> list[RepeatView]:
    """The groups (most photos first), optionally of one status."""
    if status is not None and status not in STATUSES:
        raise ValidationError({"status": f"use one of {', '.join(STATUSES)}"})
    n = func.count(Detection.id).label("n")
    stmt = (
        select(RepeatGroup, Deployment, n)
        .join(Deployment, Deployment.id == RepeatGroup.deployment_id)
        .outerjoin(Detection, Detection.repeat_group_id == RepeatGroup.id)
        .group_by(RepeatGroup.id, Deployment.id)
        .order_by(RepeatGroup.photos.desc(), RepeatGroup.id)
    )
    if status:
        stmt = stmt.where(RepeatGroup.status == status)
    return [
        RepeatView(
            g.id, d.id, d.label, (g.x, g.y, g.w, g.h), g.photos, int(k), g.status, g.decided_by
        )
        for g, d, k in session.execute(stmt)
    ]


def _decide(session: Session, group_id: int, status: str, user: str) -> RepeatGroup:
    group = session.get(RepeatGroup, group_id)
    if group is None:
        raise NotFoundError(
            f"There is no repeat group {group_id}.", "List them: deertrack repeats."
        )
    if not user:
        raise ValidationError({"user": "say who decides"})
    if group.status != status:
        session.add(
            Correction(
                entity="repeat_group",
                entity_id=group.id,
                field="status",
                old_value=group.status,
                new_value=status,
                action=f"repeat {status}",
                action_id=uuid.uuid4().hex,
                changed_by=user,
            )  # fmt: skip
        )
    group.status, group.decided_by = status, user
    group.decided_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.flush()
    return group


def confirm_repeat(
    session: Session, group_id: int, *, actor: auth.Actor | None = None, user: str = ""
) -> int:
    """A static object: its boxes stay out of re-identification; return how many detections lost
    an identity the machine had given them."""
    user = auth.require(session, actor, auth.ADMIN, "confirm a repeat detection", name=user).name
    from deertrack_core.species import withdraw_where

    group = _decide(session, group_id, "confirmed", user)
    return withdraw_where(session, Detection.repeat_group_id == group.id)


def unflag_repeat(
    session: Session, group_id: int, *, actor: auth.Actor | None = None, user: str = ""
) -> None:
    """A real animal after all: its boxes enter re-identification like any other."""
    user = auth.require(session, actor, auth.ADMIN, "unflag a repeat detection", name=user).name
    _decide(session, group_id, "dismissed", user)


def examples(session: Session, group_ids: list[int]) -> dict[int, tuple[str, tuple]]:
    """One photo of each group (its stored path and that photo's box of the group), to show."""
    from deertrack_core.models import Image

    first = (
        select(Detection.repeat_group_id, func.min(Detection.id).label("det"))
        .where(Detection.repeat_group_id.in_([int(g) for g in group_ids]))
        .group_by(Detection.repeat_group_id)
        .subquery()
    )
    rows = session.execute(
        select(first.c.repeat_group_id, Image.path, Detection.x, Detection.y, Detection.w,
               Detection.h)  # fmt: skip
        .join(Detection, Detection.id == first.c.det)
        .join(Image, Image.id == Detection.image_id)
    ).all()
    return {int(r[0]): (r.path, (r.x, r.y, r.w, r.h)) for r in rows}

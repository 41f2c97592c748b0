"""Clock correction: a deployment's camera clock was off; re-time everything that follows."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.ingest.plausible import reflag_times
from deertrack_core.ingest.sequences import assign_sequences, refresh_deployment_spans
from deertrack_core.models import Correction, Deer, Deployment, Detection, Image

log = logging.getLogger(__name__)

#: Nobody's clock is off by more than ten years; a bigger value is a typo (milliseconds?).
MAX_OFFSET_S = 10 * 366 * 86400


def set_clock_offset(session: Session, deployment_id: int, offset_s: float, user: str) -> int:
    """Set a deployment's clock offset and re-time all its photos; return how many were re-timed.

    ``captured_at = camera_time + offset_s`` for every timed photo; the deployment's start/end
    move by the change, bursts are regrouped, the first/last sightings of the deer seen on those
    photos are recomputed, and a Correction row records who changed the offset from what to what.
    The caller commits.
    """
    offset_s = float(offset_s)
    if not abs(offset_s) <= MAX_OFFSET_S:  # also rejects NaN
        raise ValidationError(
            {"offset_s": f"{offset_s} s is not within ten years; give the offset in seconds"}
        )
    dep = session.get(Deployment, deployment_id)
    if dep is None:
        raise NotFoundError(
            f"There is no deployment {deployment_id}.",
            "List deployments in the dashboard (Cameras) and use one of their ids.",
        )
    old = float(dep.clock_offset_s or 0.0)
    delta = dt.timedelta(seconds=offset_s - old)
    dep.clock_offset_s = offset_s
    # Declared dates are real-world dates: only spans that follow the photos move with them.
    if dep.start is not None and not dep.span_declared:
        dep.start = dep.start + delta
    if dep.end is not None and not dep.span_declared:
        dep.end = dep.end + delta

    rows = session.execute(
        select(Image.id, Image.camera_time).where(
            Image.deployment_id == deployment_id, Image.camera_time.is_not(None)
        )
    ).all()
    shift = dt.timedelta(seconds=offset_s)
    if rows:
        session.execute(
            update(Image), [{"id": r.id, "captured_at": r.camera_time + shift} for r in rows]
        )
    # The shift may move photos into or out of a plausible time.
    reflag_times(session, [deployment_id])
    refresh_deployment_spans(session, [deployment_id])
    assign_sequences(session, [deployment_id])
    refresh_deer_sightings(session, deployment_id)
    session.add(
        Correction(
            entity="deployment",
            entity_id=deployment_id,
            field="clock_offset_s",
            old_value=repr(old),
            new_value=repr(offset_s),
            action="set_clock",
            action_id=uuid.uuid4().hex,
            changed_by=user,
        )
    )
    session.flush()
    log.info(
        "deployment %s: clock offset %s -> %s s, %d photos", deployment_id, old, offset_s, len(rows)
    )
    return len(rows)


def refresh_deer_sightings(session: Session, deployment_id: int) -> None:
    """Recompute first/last seen of the deer seen on the deployment's photos."""
    deer_ids = session.scalars(
        select(Detection.deer_id)
        .join(Image, Image.id == Detection.image_id)
        .where(Image.deployment_id == deployment_id, Detection.deer_id.is_not(None))
        .distinct()
    ).all()
    if not deer_ids:
        return
    spans = session.execute(
        select(Detection.deer_id, func.min(Image.captured_at), func.max(Image.captured_at))
        .join(Image, Image.id == Detection.image_id)
        .where(Detection.deer_id.in_(deer_ids))
        .group_by(Detection.deer_id)
    ).all()
    session.execute(
        update(Deer),
        [{"id": deer_id, "first_seen": first, "last_seen": last} for deer_id, first, last in spans],
    )

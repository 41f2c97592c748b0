"""Clock correction: a deployment's camera clock was off; re-time everything that follows."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from deertrack_core import auth
from deertrack_core.deer import refresh_deployment_deer
from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.ingest.plausible import reflag_times
from deertrack_core.ingest.sequences import assign_sequences, refresh_deployment_spans
from deertrack_core.models import Correction, Deployment, Image

log = logging.getLogger(__name__)

#: Nobody's clock is off by more than ten years; a bigger value is a typo (milliseconds?).
MAX_OFFSET_S = 10 * 366 * 86400


def set_clock_offset(
    session: Session,
    deployment_id: int,
    offset_s: float,
    user: str = "",
    *,
    actor: auth.Actor | None = None,
    source: str = "",
) -> int:
    """Set a deployment's clock offset and re-time all its photos; return how many were re-timed.

    ``captured_at = camera_time + offset_s`` for every timed photo; the deployment's start/end
    move by the change, bursts are regrouped, the first/last sightings of the deer seen on those
    photos are recomputed, and a Correction row records who changed the offset from what to what
    (``actor``, an admin; ``user`` names the laptop mode's implicit admin; ``source`` is noted
    after the name, e.g. "CSV"). The caller commits.
    """
    offset_s = float(offset_s)
    if not abs(offset_s) <= MAX_OFFSET_S:  # also rejects NaN
        raise ValidationError(
            {"offset_s": f"{offset_s} s is not within ten years; give the offset in seconds"}
        )
    actor = auth.require(session, actor, auth.ADMIN, "change a camera's clock", name=user)
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
    refresh_deployment_deer(session, deployment_id)
    session.add(
        Correction(
            entity="deployment",
            entity_id=deployment_id,
            field="clock_offset_s",
            old_value=repr(old),
            new_value=repr(offset_s),
            action="set_clock",
            action_id=uuid.uuid4().hex,
            changed_by=f"{actor.name} ({source})" if source else actor.name,
        )
    )
    session.flush()
    log.info(
        "deployment %s: clock offset %s -> %s s, %d photos", deployment_id, old, offset_s, len(rows)
    )
    return len(rows)

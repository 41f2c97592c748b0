"""Implausible photo times: flagged, kept out of effort and activity, and corrected by a person.

A camera whose clock was never set writes 2000-01-01 or 2099; a photo copied in from another
card may lie outside the deployment's declared dates. Such a photo keeps its time (nothing is
thrown away) but ``images.time_problem`` says what is wrong with it, and every analysis (trap
nights, activity, events, the deployment's span) leaves it out until the time is corrected:
by a clock offset for the whole camera (:func:`deertrack_core.ingest.set_clock_offset`), by
setting the photo's own time (:func:`set_photo_time`), or by correcting the deployment's dates
(:func:`set_deployment_span`). Flags are recomputed after each of those.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import posixpath
import uuid
from collections.abc import Iterable

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from deertrack_core import auth
from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.models import Correction, Deployment, Image

log = logging.getLogger(__name__)

#: Digital trail cameras with a clock appeared in the 1990s; earlier is an unset clock.
EARLIEST = dt.datetime(1990, 1, 1)
#: Camera clocks keep local time: allow a day for time zones before calling a time future.
FUTURE_SLACK = dt.timedelta(days=1)

BEFORE_1990 = "before 1990 (camera clock not set?)"
FUTURE = "in the future"
BEFORE_START = "before the deployment's start"
AFTER_END = "after the deployment's end"
OUT_OF_ORDER = "a data-bar reading out of file order (misread?)"
AMPM_UNSURE = "AM/PM unreadable on the data bar (too small): confirm the time"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def end_bound(end: dt.datetime) -> dt.datetime:
    """A declared end given as a date (00:00) includes that whole day."""
    return end + dt.timedelta(days=1) if end.time() == dt.time(0, 0) else end


def time_problem(
    when: dt.datetime | None,
    *,
    now: dt.datetime,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    declared: bool = False,
) -> str | None:
    """Why ``when`` cannot be a real capture time of this deployment, or None when it can."""
    if when is None:
        return None
    if when < EARLIEST:
        return BEFORE_1990
    if when > now + FUTURE_SLACK:
        return FUTURE
    if declared and start is not None and when < start:
        return BEFORE_START
    if declared and end is not None and when >= end_bound(end):
        return AFTER_END
    return None


def reflag_times(
    session: Session, deployment_ids: Iterable[int], *, now: dt.datetime | None = None
) -> int:
    """Recompute ``time_problem`` of every photo of those deployments (in SQL, changed rows
    only); return how many photos are flagged now. The caller commits."""
    now = now or _now()
    flagged = 0
    for dep in session.scalars(
        select(Deployment).where(Deployment.id.in_(sorted(set(deployment_ids))))
    ):
        rules = [
            (Image.time_source == "databar-ampm", AMPM_UNSURE),
            (Image.captured_at < EARLIEST, BEFORE_1990),
            (Image.captured_at > now + FUTURE_SLACK, FUTURE),
        ]
        if dep.span_declared and dep.start is not None:
            rules.append((Image.captured_at < dep.start, BEFORE_START))
        if dep.span_declared and dep.end is not None:
            rules.append((Image.captured_at >= end_bound(dep.end), AFTER_END))
        value = case(*rules, else_=None)
        session.execute(
            update(Image)
            .where(Image.deployment_id == dep.id, Image.time_problem.is_distinct_from(value))
            .values(time_problem=value)
            .execution_options(synchronize_session=False)
        )
        _flag_bar_order(session, dep.id)
        flagged += _flagged(session, dep.id)
    return flagged


def out_of_order(times: list[dt.datetime]) -> list[bool]:
    """Which times break the file order: all but a longest non-decreasing run (patience sort).

    Cameras number their files in the order they take them, so in one folder the times of one
    camera's numbered photos, sorted by file name, never go back. A misread data bar (7 AM for 7 PM, 02 for 03)
    breaks that; the fewest photos whose removal restores the order are the ones flagged.
    """
    tails: list[dt.datetime] = []  # smallest last time of a run of each length
    ends: list[int] = []  # index of that last element
    before = [-1] * len(times)
    for i, t in enumerate(times):
        k = bisect.bisect_right(tails, t)
        before[i] = ends[k - 1] if k else -1
        if k == len(tails):
            tails.append(t)
            ends.append(i)
        else:
            tails[k], ends[k] = t, i
    keep = [False] * len(times)
    i = ends[-1] if ends else -1
    while i >= 0:
        keep[i] = True
        i = before[i]
    return [not k for k in keep]


def _flag_bar_order(session: Session, deployment_id: int) -> None:
    rows = session.execute(
        select(Image.id, Image.path, Image.captured_at)
        .where(
            Image.deployment_id == deployment_id,
            Image.time_source == "databar",
            Image.time_problem.is_(None),
        )
        .order_by(Image.path)
    ).all()
    # One camera's numbered files: same folder, same name before the number (RCNX0031.JPG,
    # CA-01_0007135.jpg). Photos from several cameras in one folder are not compared, and a
    # group of two cannot tell which one is wrong.
    series: dict[tuple[str, str], list] = {}
    for row in rows:
        folder, name = posixpath.split(row.path)
        stem = posixpath.splitext(name)[0]
        series.setdefault((folder, stem.rstrip("0123456789")), []).append(row)
    bad = [
        r.id
        for group in series.values()
        if len(group) >= 3
        for r, wrong in zip(group, out_of_order([r.captured_at for r in group]), strict=True)
        if wrong
    ]
    for i in range(0, len(bad), 500):
        session.execute(
            update(Image)
            .where(Image.id.in_(bad[i : i + 500]))
            .values(time_problem=OUT_OF_ORDER)
            .execution_options(synchronize_session=False)
        )


def _flagged(session: Session, deployment_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Image.id)).where(
                Image.deployment_id == deployment_id, Image.time_problem.is_not(None)
            )
        )
        or 0
    )


def _audit(session: Session, entity: str, entity_id: int, field: str, old, new, action: str,
           user: str) -> None:  # fmt: skip
    session.add(
        Correction(
            entity=entity,
            entity_id=entity_id,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            action=action,
            action_id=uuid.uuid4().hex,
            changed_by=user,
        )  # fmt: skip
    )


def _refresh(session: Session, deployment_id: int) -> None:
    from deertrack_core.deer import refresh_deployment_deer
    from deertrack_core.ingest.sequences import assign_sequences, refresh_deployment_spans

    session.flush()
    reflag_times(session, [deployment_id])
    refresh_deployment_spans(session, [deployment_id])
    assign_sequences(session, [deployment_id])
    refresh_deployment_deer(session, deployment_id)


def set_photo_time(
    session: Session,
    image_id: int,
    when: dt.datetime,
    user: str = "",
    *,
    actor: auth.Actor | None = None,
) -> str | None:
    """Give one photo its true (deployment-local) time; return its time problem afterwards.

    ``captured_at`` becomes ``when``, ``camera_time`` what the camera would have said (``when``
    minus the deployment's clock offset), ``time_source`` "manual"; recorded in the audit log.
    ``actor`` must be an admin (``user`` names the laptop mode's implicit admin).
    """
    user = auth.require(session, actor, auth.ADMIN, "set a photo's time", name=user).name
    image = session.get(Image, image_id)
    if image is None:
        raise NotFoundError(f"There is no photo {image_id}.", "Use an id from the photo list.")
    if not isinstance(when, dt.datetime):
        raise ValidationError({"when": "give a date and time, e.g. 2024-10-03 06:15:00"})
    offset = float(image.deployment.clock_offset_s or 0.0)
    _audit(session, "image", image.id, "captured_at", image.captured_at, when, "set_time", user)
    image.captured_at = when
    image.camera_time = when - dt.timedelta(seconds=offset)
    image.time_source = "manual"
    _refresh(session, image.deployment_id)
    session.refresh(image)
    return image.time_problem


def set_deployment_span(
    session: Session,
    deployment_id: int,
    start: dt.datetime | None,
    end: dt.datetime | None,
    user: str = "",
    *,
    actor: auth.Actor | None = None,
) -> int:
    """Declare a deployment's dates (photos never widen declared dates; photos outside them are
    flagged); return how many of its photos are flagged afterwards. ``actor`` must be an admin."""
    user = auth.require(session, actor, auth.ADMIN, "set a deployment's dates", name=user).name
    dep = session.get(Deployment, deployment_id)
    if dep is None:
        raise NotFoundError(
            f"There is no deployment {deployment_id}.", "Use an id from set-clock --list."
        )
    if start is not None and end is not None and end_bound(end) <= start:
        raise ValidationError({"end": "the end must come after the start"})
    for field, value in (("start", start), ("end", end)):
        if getattr(dep, field) != value:
            _audit(
                session, "deployment", dep.id, field, getattr(dep, field), value, "set_span", user
            )
            setattr(dep, field, value)
    dep.span_declared = start is not None or end is not None
    _refresh(session, dep.id)
    return _flagged(session, dep.id)


def flagged_photos(session: Session, *, limit: int = 500) -> list[dict]:
    """The photos whose time is implausible (id, path, station, time, source, problem), by
    deployment and file name; at most ``limit``."""
    rows = session.execute(
        select(
            Image.id, Image.path, Image.captured_at, Image.time_source, Image.time_problem,
            Deployment.station, Deployment.camera,
        )  # fmt: skip
        .join(Deployment, Deployment.id == Image.deployment_id)
        .where(Image.time_problem.is_not(None))
        .order_by(Image.deployment_id, Image.path)
        .limit(limit)
    ).all()
    return [
        {**{k: v for k, v in r._asdict().items() if k != "camera"},
         "station": f"{r.station}/{r.camera}" if r.camera else r.station}  # fmt: skip
        for r in rows
    ]


def flagged_count(session: Session) -> dict[str, int]:
    """How many photos carry each time problem."""
    rows = session.execute(
        select(Image.time_problem, func.count(Image.id))
        .where(Image.time_problem.is_not(None))
        .group_by(Image.time_problem)
    ).all()
    return {str(p): int(n) for p, n in rows}


def confirm_ampm(
    session: Session,
    image_ids: Iterable[int],
    *,
    flip: bool = False,
    actor: auth.Actor | None = None,
    user: str = "",
) -> int:
    """A person confirms the AM/PM of data-bar readings that could not tell them apart
    (``databar-ampm``): as read, or with AM and PM swapped (``flip``: 12 hours added before noon,
    taken away after). Each photo becomes an ordinary ``databar`` reading (the file-order check
    applies to it from now on), audited under one action id; photos among ``image_ids`` that
    are not unconfirmed readings are left alone. Admins only. Returns how many were confirmed."""
    who = auth.require(session, actor, auth.ADMIN, "confirm data-bar times", name=user)
    ids = sorted({int(i) for i in image_ids})
    if not ids:
        raise ValidationError({"photos": "no photos were selected"})
    images = list(
        session.scalars(
            select(Image).where(Image.id.in_(ids), Image.time_source == "databar-ampm")
        )
    )
    action_id = uuid.uuid4().hex
    for image in images:
        when = image.captured_at
        if flip and when is not None:
            when += dt.timedelta(hours=12 if when.hour < 12 else -12)
            image.camera_time = when - dt.timedelta(
                seconds=float(image.deployment.clock_offset_s or 0.0)
            )
        for field, old, new in (
            ("captured_at", image.captured_at, when),
            ("time_source", image.time_source, "databar"),
        ):
            if old != new:
                session.add(
                    Correction(
                        entity="image", entity_id=image.id, field=field,
                        old_value=None if old is None else str(old),
                        new_value=None if new is None else str(new),
                        action="confirm am/pm (swapped)" if flip else "confirm am/pm",
                        action_id=action_id, changed_by=who.name,
                    )  # fmt: skip
                )
        image.captured_at, image.time_source = when, "databar"
    for dep in sorted({i.deployment_id for i in images}):
        _refresh(session, dep)
    log.info("%s confirmed the AM/PM of %d data-bar times", who.name, len(images))
    return len(images)

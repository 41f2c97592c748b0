"""Individual deer: the gallery, one deer's sightings, and the edits a biologist makes to them.

Edits (rename, notes, merge, move a detection out) write ``corrections`` rows with one action id
per edit, like the review actions, so the audit log and undo see them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from deertrack_core import auth
from deertrack_core.audit import AuditAction
from deertrack_core.deer import Crop, exemplars_of, next_deer_name, refresh_span
from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.models import Deer, Deployment, Detection, Image, MatchStatus
from deertrack_core.species import reid_clause

_COUNTED = MatchStatus.REJECTED.value  # rejected detections are not sightings


@dataclass(frozen=True)
class DeerCard:
    deer_id: int
    name: str
    sex_age: str
    sightings: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    stations: int
    notes: str
    exemplar: Crop | None


@dataclass(frozen=True)
class Sighting:
    detection_id: int
    captured_at: dt.datetime | None
    station: str
    status: str
    score: float | None
    crop: Crop


@dataclass(frozen=True)
class StationRow:
    station: str
    sightings: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None


def _plausible_time():
    """A photo's time for first/last seen: none when it is flagged implausible (1980, 2099)."""
    return case((Image.time_problem.is_(None), Image.captured_at), else_=None)


def gallery(
    session: Session, *, search: str = "", limit: int = 60, offset: int = 0
) -> list[DeerCard]:
    """Deer (not merged away), most sighted first, with their exemplar crop."""
    stats = (
        select(
            Detection.deer_id.label("deer_id"),
            func.count(Detection.id).label("n"),
            func.min(_plausible_time()).label("first"),
            func.max(_plausible_time()).label("last"),
            func.count(func.distinct(Image.deployment_id)).label("stations"),
        )
        .join(Image, Image.id == Detection.image_id)
        .where(Detection.deer_id.is_not(None), Detection.match_status != _COUNTED, reid_clause())
        .group_by(Detection.deer_id)
        .subquery()
    )
    stmt = (
        select(Deer, stats.c.n, stats.c.first, stats.c.last, stats.c.stations)
        .outerjoin(stats, stats.c.deer_id == Deer.id)
        .where(Deer.merged_into.is_(None), _of_target(stats.c.n))
    )
    if search.strip():
        stmt = stmt.where(Deer.name.ilike(f"%{search.strip()}%"))
    stmt = stmt.order_by(func.coalesce(stats.c.n, 0).desc(), Deer.name).limit(limit).offset(offset)
    rows = session.execute(stmt).all()
    pictures = exemplars_of(session, [deer.id for deer, *_ in rows], 1, reads=3)
    return [
        DeerCard(
            deer.id,
            deer.name,
            deer.sex_age,
            int(n or 0),
            first,
            last,
            int(st or 0),
            deer.notes,
            (pictures.get(deer.id) or [None])[0],
        )
        for deer, n, first, last, st in rows
    ]


def _of_target(gated_sightings):
    """The species gate for individuals: a deer with sightings must have one of the target
    species (a deer whose every sighting is now known as another species is not shown; one
    without any sighting yet is)."""
    any_sighting = exists().where(Detection.deer_id == Deer.id, Detection.match_status != _COUNTED)
    return or_(gated_sightings.is_not(None), ~any_sighting)


def deer_count(session: Session) -> int:
    gated = (
        select(Detection.id)
        .where(Detection.deer_id == Deer.id, Detection.match_status != _COUNTED, reid_clause())
        .exists()
    )
    stmt = select(func.count(Deer.id)).where(
        Deer.merged_into.is_(None), or_(gated, ~exists().where(
            Detection.deer_id == Deer.id, Detection.match_status != _COUNTED))
    )  # fmt: skip
    return int(session.scalar(stmt) or 0)


def get_deer(session: Session, deer_id: int) -> Deer:
    deer = session.get(Deer, deer_id)
    if deer is None:
        raise NotFoundError(f"Deer {deer_id} does not exist.", "Pick a deer from the gallery.")
    return deer


def sightings(session: Session, deer_id: int, *, limit: int = 2000) -> list[Sighting]:
    """The deer's detections in time order."""
    stmt = (
        select(Detection, Image.path, Image.captured_at, Deployment.station, Deployment.camera)
        .join(Image, Image.id == Detection.image_id)
        .join(Deployment, Deployment.id == Image.deployment_id)
        .where(Detection.deer_id == deer_id, Detection.match_status != _COUNTED, reid_clause())
        .order_by(Image.captured_at, Detection.id)
        .limit(limit)
    )
    return [
        Sighting(
            d.id,
            at,
            f"{st}/{cam}" if cam else st,
            d.match_status,
            d.match_score,
            Crop(d.id, path, (d.x, d.y, d.w, d.h)),
        )
        for d, path, at, st, cam in session.execute(stmt)
    ]


def stations(session: Session, deer_id: int) -> list[StationRow]:
    """Where the deer was seen: one row per station/camera."""
    stmt = (
        select(
            Deployment.station,
            Deployment.camera,
            func.count(Detection.id),
            func.min(_plausible_time()),
            func.max(_plausible_time()),
        )
        .join(Image, Image.id == Detection.image_id)
        .join(Deployment, Deployment.id == Image.deployment_id)
        .where(Detection.deer_id == deer_id, Detection.match_status != _COUNTED, reid_clause())
        .group_by(Deployment.station, Deployment.camera)
        .order_by(func.count(Detection.id).desc())
    )
    return [
        StationRow(f"{st}/{cam}" if cam else st, int(n), first, last)
        for st, cam, n, first, last in session.execute(stmt)
    ]


def rename(
    session: Session, deer_id: int, name: str, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    user = auth.require(session, actor, auth.REVIEWER, "rename a deer", name=user).name
    name = name.strip()
    if not name:
        raise ValidationError({"name": "a deer needs a name or tag"})
    deer = get_deer(session, deer_id)
    act = AuditAction(session, "rename", user)
    act.change(deer, "name", name)
    return act.flush()


def set_notes(
    session: Session, deer_id: int, notes: str, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    user = auth.require(session, actor, auth.REVIEWER, "edit a deer's notes", name=user).name
    deer = get_deer(session, deer_id)
    act = AuditAction(session, "notes", user)
    act.change(deer, "notes", notes)
    return act.flush()


def set_sex_age(
    session: Session, deer_id: int, value: str, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    user = auth.require(session, actor, auth.REVIEWER, "set a deer's sex and age", name=user).name
    from deertrack_core.models import SexAge

    if value not in {s.value for s in SexAge}:
        raise ValidationError({"sex_age": "use buck, doe, fawn or unknown"})
    deer = get_deer(session, deer_id)
    act = AuditAction(session, "sex/age", user)
    act.change(deer, "sex_age", value)
    return act.flush()


def merge(
    session: Session, keep_id: int, drop_id: int, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    """Merge ``drop_id`` into ``keep_id``: its detections move, it points at the kept deer."""
    user = auth.require(session, actor, auth.REVIEWER, "merge deer", name=user).name
    if keep_id == drop_id:
        raise ValidationError({"merge": "choose two different deer"})
    keep, drop = get_deer(session, keep_id), get_deer(session, drop_id)
    if keep.merged_into is not None or drop.merged_into is not None:
        raise ValidationError({"merge": "one of these deer was already merged into another"})
    act = AuditAction(session, "merge", user)
    for det in session.scalars(select(Detection).where(Detection.deer_id == drop_id)):
        act.change(det, "deer_id", keep_id)
    act.change(drop, "merged_into", keep_id)
    if keep.notes != drop.notes and drop.notes:
        act.change(keep, "notes", (keep.notes + "\n" if keep.notes else "") + drop.notes)
    act.flush()
    refresh_span(session, [keep_id, drop_id])
    return act.id


def move_out(
    session: Session,
    detection_id: int,
    *,
    actor: auth.Actor | None = None,
    user: str = "",
    to: int | str | None = None,
) -> int | None:
    """Take a wrong detection out of its deer.

    ``to`` is another deer's id, ``"new"`` for a new individual, or ``None`` to send it back to
    the review queue. Returns the deer it now belongs to (None: back in the queue).
    """
    user = auth.require(
        session, actor, auth.REVIEWER, "move a sighting out of a deer", name=user
    ).name
    det = session.get(Detection, detection_id)
    if det is None:
        raise NotFoundError(f"Detection {detection_id} does not exist.", "Reload the page.")
    old = det.deer_id
    act = AuditAction(session, "move out", user)
    target: int | None
    if to == "new":
        deer = Deer(name=next_deer_name(session), exemplar_detection_id=det.id)
        session.add(deer)
        session.flush()
        act.created(deer)
        target = deer.id
    elif to is None:
        target = None
    else:
        target = get_deer(session, int(to)).id
    act.change(det, "deer_id", target)
    act.change(
        det,
        "match_status",
        MatchStatus.PROPOSED.value if target is None else MatchStatus.CORRECTED.value,
    )
    det.reviewed_by, det.reviewed_at = (None, None) if target is None else (user, act.at)
    act.flush()
    refresh_span(session, [old, target])
    return target


#: Detections one split may move (a page shows at most this many to pick from).
MAX_SPLIT = 2000


def split(
    session: Session,
    deer_id: int,
    detection_ids: list[int],
    *,
    actor: auth.Actor | None = None,
    user: str = "",
    name: str = "",
) -> int:
    """Move the picked detections of a deer to a new individual (two animals were taken for one).

    One audited action: undo moves them back and removes the new deer. Returns the new deer's id.
    """
    user = auth.require(session, actor, auth.REVIEWER, "split a deer", name=user).name
    picked = sorted({int(i) for i in detection_ids})
    if not picked:
        raise ValidationError({"detections": "pick the sightings that belong to another deer"})
    if len(picked) > MAX_SPLIT:
        raise ValidationError({"detections": f"split at most {MAX_SPLIT} sightings at a time"})
    source = get_deer(session, deer_id)
    dets = list(session.scalars(select(Detection).where(Detection.id.in_(picked))))
    strangers = sorted(set(picked) - {d.id for d in dets if d.deer_id == deer_id})
    if strangers:
        raise ValidationError(
            {"detections": f"{', '.join(map(str, strangers[:5]))} are not sightings of "
             f"{source.name} any more; reload the page"}
        )  # fmt: skip
    total = session.scalar(select(func.count(Detection.id)).where(Detection.deer_id == deer_id))
    if len(dets) >= (total or 0):
        raise ValidationError(
            {"detections": "that is every sighting: rename the deer instead of splitting it"}
        )
    act = AuditAction(session, "split", user)
    deer = Deer(name=name.strip() or next_deer_name(session), sex_age=source.sex_age)
    session.add(deer)
    session.flush()
    act.created(deer)
    for d in dets:
        act.change(d, "deer_id", deer.id)
        act.change(d, "match_status", MatchStatus.CORRECTED.value)
        d.reviewed_by, d.reviewed_at = user, act.at
    act.flush()
    refresh_span(session, [deer_id, deer.id])
    return deer.id

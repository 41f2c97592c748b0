"""The review queue and the reviewer's actions.

A review item is a *track*: the boxes of one animal across the frames of a burst. One decision
labels every detection of the track. The queue puts the most uncertain tracks first — those whose
match score lies nearest the active threshold.

Every action records its changes through :class:`deertrack_core.audit.AuditAction` (one
``corrections`` row per changed field, one ``action_id`` per action), so
:func:`deertrack_core.audit.undo_last` reverts it as a whole. Optimistic locking: the caller
passes the versions it showed the reviewer (:class:`TrackRef`); if anyone changed a detection
since, the action raises :class:`ConflictError` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deertrack_core import auth
from deertrack_core.audit import AuditAction
from deertrack_core.deer import (
    Crop,
    best_visible,
    exemplars_of,
    live_deer,
    next_deer_name,
    refresh_span,
)
from deertrack_core.errors import ConflictError, NotFoundError, ValidationError
from deertrack_core.models import Deer, Detection, Image, MatchStatus, SexAge
from deertrack_core.queries import where_photos
from deertrack_core.species import reid_clause

log = logging.getLogger(__name__)

#: Statuses a reviewer still has to look at.
TO_REVIEW: tuple[str, ...] = (
    MatchStatus.PROPOSED.value,
    MatchStatus.AUTO.value,
    MatchStatus.NEW.value,
    MatchStatus.PENDING.value,
)
REVIEWED: tuple[str, ...] = tuple(s.value for s in MatchStatus.reviewed())
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "to review": TO_REVIEW,
    "reviewed": REVIEWED,
    "all": TO_REVIEW + REVIEWED,
}


@dataclass(frozen=True)
class QueueFilter:
    status: str = "to review"
    deployment_ids: tuple[int, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive


@dataclass(frozen=True)
class QueueEntry:
    """One track in the queue: its key, size and how uncertain the machine was."""

    track_key: int  # track_id, or -detection_id for a detection without a track
    detections: int
    uncertainty: float | None  # |score - threshold|; None when the track has no score
    first_detection_id: int


@dataclass(frozen=True)
class TrackRef:
    """What the reviewer saw: the track's detections and their versions at that moment."""

    versions: tuple[tuple[int, int], ...]  # (detection_id, version)

    @property
    def detection_ids(self) -> list[int]:
        return [d for d, _ in self.versions]


def _track_key():
    return func.coalesce(Detection.track_id, -Detection.id)


def _filtered(stmt, flt: QueueFilter):
    statuses = STATUS_FILTERS.get(flt.status)
    if statuses is None:
        raise ValidationError({"status": f"use one of {', '.join(STATUS_FILTERS)}"})
    # The species gate: only the target species (or an unknown one) and no confirmed static
    # object is offered for re-identification.
    stmt = stmt.where(
        Detection.category == "animal", Detection.match_status.in_(statuses), reid_clause()
    )
    if flt.deployment_ids or flt.start or flt.end:
        stmt = stmt.join(Image, Image.id == Detection.image_id)
        stmt = where_photos(stmt, deployment_ids=flt.deployment_ids, start=flt.start, end=flt.end)
    return stmt


def queue(
    session: Session, threshold: float, flt: QueueFilter | None = None, *, limit: int = 50
) -> list[QueueEntry]:
    """Tracks to review, most uncertain first (score nearest ``threshold``)."""
    flt = flt or QueueFilter()
    key = _track_key()
    unc = func.min(func.abs(Detection.match_score - threshold))
    stmt = select(key, func.count(Detection.id), unc, func.min(Detection.id)).group_by(key)
    stmt = (
        _filtered(stmt, flt).order_by(unc.asc().nulls_last(), func.min(Detection.id)).limit(limit)
    )
    return [
        QueueEntry(int(k), int(n), None if u is None else float(u), int(first))
        for k, n, u, first in session.execute(stmt)
    ]


def queue_size(session: Session, flt: QueueFilter | None = None) -> int:
    """How many tracks the filter selects."""
    stmt = select(func.count(func.distinct(_track_key())))
    return int(session.scalar(_filtered(stmt, flt or QueueFilter())) or 0)


def track_detections(session: Session, track_key: int) -> list[Detection]:
    """The detections of one track (best detector confidence first)."""
    if track_key < 0:
        stmt = select(Detection).where(Detection.id == -track_key)
    else:
        stmt = select(Detection).where(Detection.track_id == track_key)
    rows = list(session.scalars(stmt.order_by(Detection.confidence.desc(), Detection.id)))
    if not rows:
        raise NotFoundError(
            f"Track {track_key} has no detections any more.", "Reload the review queue."
        )
    return rows


def ref_for(detections: Iterable[Detection]) -> TrackRef:
    return TrackRef(tuple((d.id, d.version) for d in detections))


# --- actions -----------------------------------------------------------------------------------


def locked(session: Session, ref: TrackRef) -> list[Detection]:
    """The detections of ``ref``, checked against the versions the reviewer saw."""
    if not ref.versions:
        raise ValidationError({"track": "no detections were selected"})
    ids = ref.detection_ids
    stmt = select(Detection).where(Detection.id.in_(ids)).execution_options(populate_existing=True)
    rows = {d.id: d for d in session.scalars(stmt)}
    for det_id, version in ref.versions:
        current = rows.get(det_id)
        if current is None:
            raise ConflictError(
                f"Detection {det_id} was deleted by someone else.", "Reload the review queue."
            )
        if current.version != version:
            raise ConflictError(
                f"Someone else changed this detection ({det_id}) after you opened it.",
                "Reload to see their change; nothing of yours was saved.",
            )
    return [rows[i] for i in ids]


def _review(act: AuditAction, det: Detection, status: str) -> None:
    act.change(det, "match_status", status)
    det.reviewed_by = act.user
    det.reviewed_at = act.at


def confirm(
    session: Session, ref: TrackRef, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    """The machine's deer is right. Returns the action id."""
    user = auth.require(session, actor, auth.REVIEWER, "confirm a match", name=user).name
    dets = locked(session, ref)
    if any(d.deer_id is None for d in dets):
        raise ValidationError(
            {"deer": "the machine proposed no deer here: pick a candidate or make a new individual"}
        )
    act = AuditAction(session, "confirm", user)
    for d in dets:
        _review(act, d, MatchStatus.CONFIRMED.value)
    return act.flush()


def choose(
    session: Session,
    ref: TrackRef,
    deer_id: int,
    *,
    actor: auth.Actor | None = None,
    user: str = "",
) -> str:
    """Assign the track to ``deer_id`` (another candidate, or any known deer)."""
    user = auth.require(session, actor, auth.REVIEWER, "assign a deer", name=user).name
    deer = live_deer(session, deer_id)  # a merged deer lives on in the one it joined
    if deer is None:
        raise NotFoundError(f"Deer {deer_id} does not exist.", "Pick a deer from the list.")
    dets = locked(session, ref)
    act = AuditAction(session, "choose", user)
    old = [d.deer_id for d in dets]
    for d in dets:
        same = d.deer_id == deer.id and d.match_status != MatchStatus.REJECTED.value
        act.change(d, "deer_id", deer.id)
        _review(act, d, MatchStatus.CONFIRMED.value if same else MatchStatus.CORRECTED.value)
    act.flush()
    refresh_span(session, [*old, deer.id])
    return act.id


def new_individual(
    session: Session,
    ref: TrackRef,
    *,
    actor: auth.Actor | None = None,
    user: str = "",
    name: str | None = None,
) -> int:
    """Make a new deer for the track. Returns the new deer's id."""
    user = auth.require(session, actor, auth.REVIEWER, "make a new individual", name=user).name
    dets = locked(session, ref)
    act = AuditAction(session, "new individual", user)
    deer = Deer(name=(name or "").strip() or next_deer_name(session))
    sexes = {d.sex_age for d in dets} - {SexAge.UNKNOWN.value}
    if len(sexes) == 1:
        deer.sex_age = sexes.pop()
    deer.exemplar_detection_id = dets[0].id
    session.add(deer)
    session.flush()
    act.created(deer)
    old = [d.deer_id for d in dets]
    for d in dets:
        act.change(d, "deer_id", deer.id)
        _review(act, d, MatchStatus.CORRECTED.value)
    act.flush()
    refresh_span(session, [*old, deer.id])
    return deer.id


def reject(
    session: Session, ref: TrackRef, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    """Not a deer (a false detection): unassign and mark rejected."""
    user = auth.require(session, actor, auth.REVIEWER, "reject a detection", name=user).name
    dets = locked(session, ref)
    act = AuditAction(session, "not a deer", user)
    old = [d.deer_id for d in dets]
    for d in dets:
        act.change(d, "deer_id", None)
        _review(act, d, MatchStatus.REJECTED.value)
    act.flush()
    refresh_span(session, old)
    return act.id


def set_sex_age(
    session: Session, ref: TrackRef, value: str, *, actor: auth.Actor | None = None, user: str = ""
) -> str:
    """Set the sex/age class of every detection of the track."""
    user = auth.require(session, actor, auth.REVIEWER, "set sex and age", name=user).name
    allowed = [s.value for s in SexAge]
    if value not in allowed:
        raise ValidationError({"sex_age": f"use one of {', '.join(allowed)}"})
    dets = locked(session, ref)
    act = AuditAction(session, "sex/age", user)
    for d in dets:
        act.change(d, "sex_age", value)
    return act.flush()


# --- what the screen shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    deer_id: int
    name: str
    score: float
    sex_age: str
    exemplars: tuple[Crop, ...]  # best-visible first

    @property
    def exemplar(self) -> Crop | None:
        return self.exemplars[0] if self.exemplars else None


@dataclass(frozen=True)
class ReviewItem:
    track_key: int
    ref: TrackRef
    crops: tuple[Crop, ...]  # the frames of the burst in time order
    lead: Crop  # the best-visible frame: what the reviewer judges first
    captured_at: dt.datetime | None
    station: str
    status: str
    score: float | None
    deer_id: int | None
    deer_name: str | None
    sex_age: str
    candidates: tuple[Candidate, ...]


def _in_time_order(crops: list[Crop]) -> tuple[Crop, ...]:
    never = dt.datetime.max
    return tuple(sorted(crops, key=lambda c: (c.captured_at or never, c.detection_id)))


def load_item(
    session: Session, track_key: int, *, top: int = 5, per_candidate: int = 4
) -> ReviewItem:
    """Everything the review screen shows for one track: its frames in time order, the
    best-visible one first to judge, and the top candidates with their best-visible exemplars."""
    dets = track_detections(session, track_key)
    lead = dets[0]  # the detector's most confident box speaks for the track's decision
    ranked = best_visible(session, [d.id for d in dets])
    chosen: list[tuple[Deer, float]] = []
    for c in sorted(lead.candidates or [], key=lambda c: -float(c.get("score", 0.0))):
        deer = live_deer(session, int(c["deer_id"]))
        if deer is None or deer.id in {d.id for d, _ in chosen}:
            continue
        score = float(c["score"])
        if lead.match_score is not None and abs(score - lead.match_score) < 5e-5:
            score = float(lead.match_score)  # the list is rounded; the decision used this one
        chosen.append((deer, score))
        if len(chosen) >= top:
            break
    # Never the track itself: an auto-matched track is already one of its deer's sightings.
    pictures = exemplars_of(
        session, [d.id for d, _ in chosen], per_candidate, exclude=[d.id for d in dets]
    )
    cands = [
        Candidate(deer.id, deer.name, score, deer.sex_age, tuple(pictures[deer.id]))
        for deer, score in chosen
    ]
    deer = session.get(Deer, lead.deer_id) if lead.deer_id is not None else None
    return ReviewItem(
        track_key=track_key,
        ref=ref_for(dets),
        crops=_in_time_order(ranked),
        lead=ranked[0],
        captured_at=min((c.captured_at for c in ranked if c.captured_at), default=None),
        station=ranked[0].station,
        status=lead.match_status,
        score=lead.match_score,
        deer_id=lead.deer_id,
        deer_name=deer.name if deer else None,
        sex_age=lead.sex_age,
        candidates=tuple(cands),
    )

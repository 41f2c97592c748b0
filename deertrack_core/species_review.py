"""A reviewer's word on species: "not the target species" and "this species" (phase 2's Review
page calls these).

Each call is one audited action: one ``corrections`` row per changed field (``species``,
``species_source``, ``species_taxonomy``, and ``deer_id`` / ``match_status`` when an identity
is withdrawn), all sharing one action id, so :func:`deertrack_core.audit.undo_last` reverts it
as a whole. A reviewer's species is never replaced by a machine's (:mod:`deertrack_core.species`).
A box that is not of the target species loses its individual and stays ``pending`` (it is a
real animal: exports keep it, as what it is; the gate keeps it out of matching); an individual
left with no sightings by it keeps its record, but its first/last sightings are recomputed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from deertrack_core import auth
from deertrack_core.deer import refresh_span
from deertrack_core.errors import ConflictError, NotFoundError, ValidationError
from deertrack_core.models import Correction, Detection, MatchStatus
from deertrack_core.species import from_name, is_target, target_needles

#: What "not the target species" records when the reviewer names no species.
OTHER = "other species"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _locked(
    session: Session, ids: Iterable[int], versions: Mapping[int, int] | None
) -> list[Detection]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise ValidationError({"detections": "no detections were selected"})
    rows = {
        d.id: d
        for d in session.scalars(
            select(Detection).where(Detection.id.in_(ids)).execution_options(populate_existing=True)
        )
    }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFoundError(f"Detection {missing[0]} does not exist.", "Reload the review queue.")
    for det_id, version in (versions or {}).items():
        if det_id in rows and rows[det_id].version != version:
            raise ConflictError(
                f"Someone else changed detection {det_id} after you opened it.",
                "Reload to see their change; nothing of yours was saved.",
            )
    return [rows[i] for i in ids]


class _Action:
    def __init__(self, session: Session, name: str, user: str) -> None:
        if not user:
            raise ValidationError({"user": "say who makes the change"})
        self.session, self.name, self.user = session, name, user
        self.id, self.at = uuid.uuid4().hex, _now()

    def change(self, det: Detection, field: str, new: object) -> None:
        old = getattr(det, field)
        if old == new:
            return
        setattr(det, field, new)
        self.session.add(
            Correction(
                entity="detection",
                entity_id=det.id,
                field=field,
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
                action=self.name,
                action_id=self.id,
                changed_by=self.user,
                changed_at=self.at,
            )  # fmt: skip
        )


def set_species(
    session: Session,
    detection_ids: Iterable[int],
    species: str,
    *,
    actor: auth.Actor | None = None,
    user: str = "",
    versions: Mapping[int, int] | None = None,
) -> str:
    """Record the species a reviewer chose for these detections (a common or scientific name,
    e.g. from a species picker); when it is not a target species their machine identity is
    withdrawn. Returns the action id (for undo). The caller commits."""
    user = auth.require(session, actor, auth.REVIEWER, "set the species", name=user).name
    name = " ".join((species or "").split())
    if not name:
        raise ValidationError({"species": "choose a species"})
    taxon = from_name(name)
    return _apply(
        session, detection_ids, name, taxon.key if taxon.known else None, "species", user, versions
    )


def mark_not_target(
    session: Session,
    detection_ids: Iterable[int],
    *,
    actor: auth.Actor | None = None,
    user: str = "",
    species: str | None = None,
    versions: Mapping[int, int] | None = None,
) -> str:
    """ "Not a deer": the animals are of another species (named, or just "other species"); they
    lose their individual and stay out of matching. Returns the action id (for undo)."""
    user = auth.require(
        session, actor, auth.REVIEWER, "mark animals as another species", name=user
    ).name
    name = " ".join((species or "").split()) or OTHER
    taxon = from_name(name)
    key = taxon.key if taxon.known else f";;;;;;{OTHER};"
    if is_target(key, target_needles()):
        raise ValidationError({"species": f"{name} is a target species; use set_species for it"})
    return _apply(session, detection_ids, name, key, "not target species", user, versions)


def _apply(session, detection_ids, name, key, action_name, user, versions) -> str:
    dets = _locked(session, detection_ids, versions)
    act = _Action(session, action_name, user)
    target = is_target(key)
    old_deer = set()
    for d in dets:
        if d.category != "animal":
            raise ValidationError(
                {"detections": f"detection {d.id} is a {d.category}, not an animal"}
            )
        act.change(d, "species", name[:200])
        act.change(d, "species_source", "reviewer")
        act.change(d, "species_taxonomy", key)
        d.species_score = None
        if not target and d.deer_id is not None:
            old_deer.add(d.deer_id)
            act.change(d, "deer_id", None)
            act.change(d, "match_status", MatchStatus.PENDING.value)
            d.match_score, d.candidates = None, None
        d.reviewed_by, d.reviewed_at = user, act.at
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(
            "Someone else changed these detections while you were deciding.",
            "Reload to see their change; nothing of yours was saved.",
        ) from exc
    refresh_span(session, old_deer)
    session.flush()
    return act.id

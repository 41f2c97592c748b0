"""The audit log of human changes, and undo.

Every user action writes one ``corrections`` row per changed field, all sharing one
``action_id`` (:class:`AuditAction`), so :func:`undo` can revert the action as a whole.
Review actions (:mod:`deertrack_core.review`), edits of individuals
(:mod:`deertrack_core.individuals`) and box corrections (:mod:`deertrack_core.boxes`) all
record through it. A deleted detection is kept whole in its row (``field == "deleted"``, the
columns as JSON in ``old_value``), so undo puts it back with its id; an added one
(``field == "created"``) is removed again by undo while nobody has worked on it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import DateTime, delete, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from deertrack_core import auth
from deertrack_core.deer import refresh_span
from deertrack_core.errors import ConflictError, NotFoundError
from deertrack_core.models import Correction, Deer, Detection, Embedding, Image, MatchStatus


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class AuditAction:
    """Collects the corrections of one user action and writes them with one action id."""

    def __init__(self, session: Session, name: str, user: str) -> None:
        self.session, self.name, self.user = session, name, user
        self.id = uuid.uuid4().hex
        self.at = _now()

    def change(self, obj: Deer | Detection, field: str, new: object) -> None:
        old = getattr(obj, field)
        if old == new:
            return
        setattr(obj, field, new)
        self._row("deer" if isinstance(obj, Deer) else "detection", obj.id, field, old, new)

    def created(self, obj: Deer | Detection) -> None:
        """Record a new deer, or a box a person added (flushed, so it has its id)."""
        if isinstance(obj, Deer):
            self._row("deer", obj.id, "created", None, obj.name)
        else:
            box = ", ".join(f"{v:.4f}" for v in (obj.x, obj.y, obj.w, obj.h))
            self._row("detection", obj.id, "created", None, f"{obj.category} box {box}")

    def deleted(self, det: Detection) -> None:
        """Delete a detection, keeping every column of it in the log for undo."""
        snapshot = {c.name: getattr(det, c.key) for c in Detection.__table__.columns}
        self._row("detection", det.id, "deleted", _dumps(snapshot), None)
        self.session.delete(det)

    def _row(self, entity: str, entity_id: int, field: str, old: object, new: object) -> None:
        self.session.add(
            Correction(
                entity=entity,
                entity_id=entity_id,
                field=field,
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
                action=self.name,
                action_id=self.id,
                changed_by=self.user,
                changed_at=self.at,
            )
        )

    def flush(self) -> str:
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise ConflictError(
                "Someone else changed this detection while you were deciding.",
                "Reload to see their change; nothing of yours was saved.",
            ) from exc
        return self.id


# --- undo --------------------------------------------------------------------------------------

_INT_FIELDS = {"deer_id", "merged_into", "exemplar_detection_id"}
_FLOAT_FIELDS = {"x", "y", "w", "h"}


def _parse(field: str, value: str | None) -> object:
    if value is None:
        return None
    if field in _FLOAT_FIELDS:
        return float(value)
    return int(value) if field in _INT_FIELDS else value


def forget_box_caches(session: Session, det: Detection) -> None:
    """A box moved: what was measured on the old box (visibility, embeddings) no longer holds.

    Logged similarity scores stay: they are the history of decisions made on the old box.
    """
    det.visibility = None
    session.execute(delete(Embedding).where(Embedding.detection_id == det.id))


def _dumps(snapshot: dict) -> str:
    return json.dumps(snapshot, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else v)


def _restore(session: Session, row: Correction) -> int:
    """Put a deleted detection back from its snapshot (same id). Returns its deer id or None."""
    values = json.loads(row.old_value or "{}")
    if session.get(Detection, row.entity_id) is not None:
        raise ConflictError(
            f"Detection {row.entity_id} cannot come back: its number was taken by a new box.",
            "Add the box again by hand.",
        )
    if session.get(Image, values.get("image_id")) is None:
        raise ConflictError(
            f"Detection {row.entity_id} cannot come back: its photo was removed.", ""
        )
    table = Detection.__table__
    for col in table.columns:
        if isinstance(col.type, DateTime) and values.get(col.name):
            values[col.name] = dt.datetime.fromisoformat(values[col.name])
    values = {k: v for k, v in values.items() if k in table.columns}
    values["visibility"] = None  # measured again when needed
    session.execute(insert(table).values(**values))
    return values.get("deer_id")


def _unadd(session: Session, row: Correction) -> int | None:
    """Remove a box a person added, unless someone has worked on it since."""
    det = session.get(Detection, row.entity_id)
    if det is None:
        return None
    if det.deer_id is not None or det.match_status != MatchStatus.PENDING.value:
        raise ConflictError(
            f"Detection {det.id} was matched or reviewed after it was added.",
            "Delete the box instead; undo only reverts an action nobody has built on.",
        )
    session.delete(det)
    return None


@dataclass(frozen=True)
class UndoResult:
    action: str
    action_id: str
    rows: int


def last_action(session: Session, *, user: str) -> Correction | None:
    """The user's latest action that can still be undone (one of its rows)."""
    return session.scalars(
        select(Correction)
        .where(
            Correction.changed_by == user,
            Correction.undone.is_(False),
            Correction.action != "undo",
        )
        .order_by(Correction.changed_at.desc(), Correction.id.desc())
        .limit(1)
    ).first()


def undo_last(session: Session, *, actor: auth.Actor | None = None, user: str = "") -> UndoResult:
    """Revert the actor's own latest action as a whole (all rows of its action id); a
    reviewer's role is needed (``user`` names the laptop mode's implicit admin)."""
    who = auth.require(session, actor, auth.REVIEWER, "undo an action", name=user)
    latest = last_action(session, user=who.name)
    if latest is None:
        raise NotFoundError("You have no action left to undo.", "")
    return undo(session, latest.action_id, actor=who)


def undo(
    session: Session, action_id: str, *, actor: auth.Actor | None = None, user: str = ""
) -> UndoResult:
    """Revert one action as a whole, as ``actor`` (recorded as an "undo" action).

    A reviewer may undo their own actions; undoing someone else's needs an admin (it overwrites
    another person's decision). Refused with :class:`ConflictError` when a record it changed was
    changed again since (undo never overwrites later work), when it is an undo itself, or when
    it was undone already.
    """
    who = auth.require(session, actor, auth.REVIEWER, "undo an action", name=user)
    rows = list(
        session.scalars(
            select(Correction)
            .where(Correction.action_id == action_id)
            .order_by(Correction.id.desc())
        )
    )
    if not rows:
        raise NotFoundError(f"There is no action {action_id[:8]} in the audit log.", "Reload.")
    if rows[0].action == "undo":
        raise ConflictError("An undo cannot be undone.", "Make the change again instead.")
    if any(r.undone for r in rows):
        raise ConflictError(f"Action {action_id[:8]} ({rows[0].action}) was undone already.", "")
    if rows[0].changed_by != who.name:
        who = auth.require(session, who, auth.ADMIN, f"undo {rows[0].changed_by}'s action")
    act = AuditAction(session, "undo", who.name)
    created: list[int] = []
    touched: list[int | None] = []
    for row in rows:
        row.undone = True
        if row.entity == "detection" and row.field in ("created", "deleted"):
            restore = _unadd if row.field == "created" else _restore
            touched.append(restore(session, row))
            continue
        if row.field == "created":
            created.append(row.entity_id)
            continue
        model = Deer if row.entity == "deer" else Detection
        obj = session.get(model, row.entity_id)
        if obj is None:
            continue
        current = getattr(obj, row.field)
        if (None if current is None else str(current)) != row.new_value:
            raise ConflictError(
                f"{row.entity.capitalize()} {row.entity_id} was changed again after that action.",
                "Fix it by hand; undo only reverts an action nobody has built on.",
            )
        if row.field == "deer_id":
            touched += [current, _parse("deer_id", row.old_value)]
        act.change(obj, row.field, _parse(row.field, row.old_value))
        if row.field in _FLOAT_FIELDS:
            forget_box_caches(session, obj)
        if row.field == "match_status" and row.old_value not in MatchStatus.reviewed():
            obj.reviewed_by = obj.reviewed_at = None
    act.flush()
    for deer_id in created:
        still_used = session.scalar(
            select(func.count(Detection.id)).where(Detection.deer_id == deer_id)
        )
        deer = session.get(Deer, deer_id)
        if deer is not None and not still_used:
            session.delete(deer)
    session.flush()
    refresh_span(session, [t for t in touched if t not in created])
    return UndoResult(rows[0].action, action_id, len(rows))


# --- the trail -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    entity: str
    entity_id: int
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ActionRecord:
    """One user action of the audit trail: who, when, what, and whether it was undone."""

    action_id: str
    action: str
    user: str
    at: dt.datetime
    changes: tuple[Change, ...]
    undone: bool

    @property
    def entities(self) -> list[str]:
        return sorted({f"{c.entity} {c.entity_id}" for c in self.changes})


def history(
    session: Session, *, limit: int = 50, user: str | None = None, action: str | None = None
) -> list[ActionRecord]:
    """The latest ``limit`` actions (newest first), optionally of one user or one kind."""
    limit = max(1, min(int(limit), 500))
    ids = select(Correction.action_id, func.max(Correction.id).label("last")).group_by(
        Correction.action_id
    )
    if user:
        ids = ids.where(Correction.changed_by == user)
    if action:
        ids = ids.where(Correction.action == action)
    ids = ids.order_by(func.max(Correction.id).desc()).limit(limit)
    order = [a for a, _ in session.execute(ids)]
    rows: dict[str, list[Correction]] = {a: [] for a in order}
    if order:
        for r in session.scalars(
            select(Correction).where(Correction.action_id.in_(order)).order_by(Correction.id)
        ):
            rows[r.action_id].append(r)
    return [
        ActionRecord(
            a,
            rows[a][0].action,
            rows[a][0].changed_by,
            rows[a][0].changed_at,
            tuple(
                Change(r.entity, r.entity_id, r.field, r.old_value, r.new_value) for r in rows[a]
            ),
            any(r.undone for r in rows[a]),
        )
        for a in order
        if rows[a]
    ]


def trail_filters(session: Session) -> tuple[list[str], list[str]]:
    """The users and the kinds of action in the trail (for its filters)."""
    users = session.scalars(
        select(Correction.changed_by).distinct().order_by(Correction.changed_by)
    )
    kinds = session.scalars(select(Correction.action).distinct().order_by(Correction.action))
    return list(users), [k for k in kinds if k]


def deer_named(records: list[ActionRecord]) -> set[int]:
    """Ids of the deer the records mention (as a record or as a value), to look up names."""
    ids = set()
    for r in records:
        for c in r.changes:
            if c.entity == "deer":
                ids.add(c.entity_id)
            if c.field in ("deer_id", "merged_into"):
                ids |= {int(v) for v in (c.old, c.new) if v and v.isdigit()}
    return ids

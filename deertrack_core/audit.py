"""The audit log of human changes, and undo.

Every user action writes one ``corrections`` row per changed field, all sharing one
``action_id`` (:class:`AuditAction`), so :func:`undo_last` can revert the action as a whole.
Review actions (:mod:`deertrack_core.review`) and edits of individuals
(:mod:`deertrack_core.individuals`) both record through it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from deertrack_core.deer import refresh_span
from deertrack_core.errors import ConflictError, NotFoundError
from deertrack_core.models import Correction, Deer, Detection, MatchStatus


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

    def created(self, deer: Deer) -> None:
        self._row("deer", deer.id, "created", None, deer.name)

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


def _parse(field: str, value: str | None) -> object:
    if value is None:
        return None
    return int(value) if field in _INT_FIELDS else value


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


def undo_last(session: Session, *, user: str) -> UndoResult:
    """Revert the user's latest action as a whole (all rows of its action id)."""
    latest = last_action(session, user=user)
    if latest is None:
        raise NotFoundError("You have no action left to undo.", "")
    rows = list(
        session.scalars(
            select(Correction)
            .where(Correction.action_id == latest.action_id)
            .order_by(Correction.id.desc())
        )
    )
    act = AuditAction(session, "undo", user)
    created: list[int] = []
    touched: list[int | None] = []
    for row in rows:
        row.undone = True
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
    return UndoResult(latest.action, latest.action_id, len(rows))

"""Burst grouping: photos of one deployment taken at most N seconds apart form one sequence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from deertrack_core import settings
from deertrack_core.models import Deployment, Image


def group_bursts(times: list[dt.datetime], gap_s: float) -> list[int]:
    """Index of the first photo of each photo's burst, for times sorted ascending."""
    heads: list[int] = []
    for i, t in enumerate(times):
        if i and (t - times[i - 1]).total_seconds() <= gap_s:
            heads.append(heads[-1])
        else:
            heads.append(i)
    return heads


def assign_sequences(
    session: Session,
    deployment_ids: Iterable[int] | None = None,
    *,
    gap_s: float | None = None,
) -> int:
    """Set ``images.sequence_id`` for the deployments given (default all); return the number of
    sequences they hold.

    A sequence's id is the id of its first photo, so it is unique across deployments and stable
    when nothing changes. Untimed photos get no sequence. Only changed rows are written; the
    caller commits.
    """
    gap = settings.burst_seconds() if gap_s is None else gap_s
    ids = None if deployment_ids is None else sorted(set(deployment_ids))
    if ids is not None and not ids:
        return 0
    stmt = select(Image.id, Image.deployment_id, Image.captured_at, Image.sequence_id).order_by(
        Image.deployment_id, Image.captured_at, Image.id
    )
    if ids is not None:
        stmt = stmt.where(Image.deployment_id.in_(ids))
    rows = session.execute(stmt).all()

    changes: list[dict[str, int | None]] = []
    count = 0
    by_dep: dict[int, list] = {}
    for row in rows:
        by_dep.setdefault(row.deployment_id, []).append(row)
    for dep_rows in by_dep.values():
        timed = [r for r in dep_rows if r.captured_at is not None]
        heads = group_bursts([r.captured_at for r in timed], gap)
        count += sum(1 for i, h in enumerate(heads) if i == h)
        for r, h in zip(timed, heads, strict=True):
            seq = timed[h].id
            if r.sequence_id != seq:
                changes.append({"id": r.id, "sequence_id": seq})
        changes.extend(
            {"id": r.id, "sequence_id": None}
            for r in dep_rows
            if r.captured_at is None and r.sequence_id is not None
        )
    if changes:
        session.execute(update(Image), changes)
    return count


def refresh_deployment_spans(session: Session, deployment_ids: Iterable[int]) -> None:
    """Make each deployment's start/end follow its plausible timed photos.

    A declared side (``span_declared``: deployments CSV, a person) is never moved; an undeclared
    one is the first / last photo whose time has no ``time_problem`` (a photo dated 2099 must not
    stretch a season to 2099), or None when there is none.
    """
    ids = sorted(set(deployment_ids))
    if not ids:
        return
    spans = {
        dep_id: (first, last)
        for dep_id, first, last in session.execute(
            select(Image.deployment_id, func.min(Image.captured_at), func.max(Image.captured_at))
            .where(
                Image.deployment_id.in_(ids),
                Image.captured_at.is_not(None),
                Image.time_problem.is_(None),
            )
            .group_by(Image.deployment_id)
        )
    }
    for dep in session.scalars(select(Deployment).where(Deployment.id.in_(ids))):
        first, last = spans.get(dep.id, (None, None))
        if not dep.span_declared or dep.start is None:
            dep.start = first
        if not dep.span_declared or dep.end is None:
            dep.end = last

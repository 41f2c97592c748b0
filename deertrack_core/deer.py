"""Helpers about individual deer shared by the review queue, the individuals screen and undo.

A deer merged into another lives on in the one it joined (:func:`live_deer`); its first/last seen
span follows its detections (:func:`refresh_span`); its exemplars, best-visible first
(:mod:`deertrack_core.visibility`), are what a screen shows of it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from deertrack_core import paths, visibility
from deertrack_core.models import Deer, Deployment, Detection, Image, MatchStatus

log = logging.getLogger(__name__)

#: Photos read at most per deer and call to measure the sharpness of its detections (the rest
#: keep their cheap prior until a later call reaches them).
EXEMPLAR_READS = 8


@dataclass(frozen=True)
class Crop:
    """A box on a photo: what the UI needs to draw a thumbnail, and when and where it was."""

    detection_id: int
    path: str
    box: tuple[float, float, float, float]
    captured_at: dt.datetime | None = None
    station: str = ""


def live_deer(session: Session, deer_id: int) -> Deer | None:
    """Deer ``deer_id``, or the deer it was merged into (following chains of merges)."""
    deer = session.get(Deer, deer_id)
    while deer is not None and deer.merged_into is not None:
        deer = session.get(Deer, deer.merged_into)
    return deer


def refresh_span(session: Session, deer_ids: Iterable[int | None]) -> None:
    """Recompute first/last seen of the given deer from their detections on photos with a
    plausible time (a photo dated 2099 must not make a deer "last seen" in 2099)."""
    ids = sorted({d for d in deer_ids if d is not None})
    if not ids:
        return
    spans = {
        deer_id: (first, last)
        for deer_id, first, last in session.execute(
            select(Detection.deer_id, func.min(Image.captured_at), func.max(Image.captured_at))
            .join(Image, Image.id == Detection.image_id)
            .where(Detection.deer_id.in_(ids), Image.time_problem.is_(None))
            .group_by(Detection.deer_id)
        )
    }
    for deer in session.scalars(select(Deer).where(Deer.id.in_(ids))):
        deer.first_seen, deer.last_seen = spans.get(deer.id, (None, None))


def refresh_deployment_deer(session: Session, deployment_id: int) -> None:
    """Recompute first/last seen of every deer seen on the deployment's photos (after its
    photos were re-timed)."""
    refresh_span(
        session,
        session.scalars(
            select(Detection.deer_id)
            .join(Image, Image.id == Detection.image_id)
            .where(Image.deployment_id == deployment_id, Detection.deer_id.is_not(None))
            .distinct()
        ),
    )


def next_deer_name(session: Session) -> str:
    n = (session.scalar(select(func.max(Deer.id))) or 0) + 1
    return f"Deer {n:03d}"


def _crop_rows(session: Session, where) -> list:
    return list(
        session.execute(
            select(
                Detection.id, Image.path, Detection.x, Detection.y, Detection.w, Detection.h,
                Image.captured_at, Deployment.station, Deployment.camera, Detection.confidence,
                Image.width, Image.height, Detection.visibility, Detection.track_id,
                Detection.deer_id,
            )
            .join(Image, Image.id == Detection.image_id)
            .join(Deployment, Deployment.id == Image.deployment_id)
            .where(*where)
        )
    )  # fmt: skip


def _crop(r) -> Crop:
    return Crop(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], f"{r[7]}/{r[8]}" if r[8] else r[7])


def _prior(r) -> float:
    return visibility.prior(r[9], (r[2], r[3], r[4], r[5]), r[10], r[11])


def _ranked(session: Session, groups: dict[int, list], reads: int) -> dict[int, list]:
    """Each group of rows (of :func:`_crop_rows`), best-visible first.

    Only a group's ``reads`` most promising rows by their prior (confidence × box area) are
    measured, once: those whose visibility is not cached yet are measured together (photos read
    in parallel) and cached. The rest rank after the measured ones, by their prior; photos that
    could not be read come last.
    """
    priors = {r[0]: _prior(r) for rows in groups.values() for r in rows}
    tops = {
        k: sorted(rows, key=lambda r: priors[r[0]], reverse=True)[:reads]
        for k, rows in groups.items()
    }
    todo = [r for top in tops.values() for r in top if r[12] is None]
    fresh = visibility.compute(
        (r[0], paths.resolve(r[1]), (r[2], r[3], r[4], r[5]), r[9], r[10], r[11]) for r in todo
    )
    measured = {i: v for i, v in fresh.items() if v is not None}
    if measured:
        _cache(session, measured)
    unreadable = set(fresh) - set(measured)
    out = {}
    for k, rows in groups.items():
        known = {r[0]: r[12] for r in rows if r[12] is not None} | {
            r[0]: measured[r[0]] for r in rows if r[0] in measured
        }
        out[k] = sorted(
            rows,
            key=lambda r: (r[0] not in unreadable, r[0] in known, known.get(r[0], priors[r[0]])),
            reverse=True,
        )
    return out


def _cache(session: Session, values: dict[int, float]) -> None:
    """Store measured visibilities on a connection of their own, briefly and best-effort.

    A reader must not hold a write lock for the rest of its transaction, and a cache must never
    wait long behind a writer: on a busy database the values are simply measured again later.
    The optimistic-lock version is not touched (a cache is not an edit).
    """
    table = Detection.__table__
    stmt = update(table).where(table.c.id == bindparam("_id")).values(visibility=bindparam("_v"))
    engine = session.get_bind()
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(
                "PRAGMA busy_timeout=1000" if sqlite else "SET LOCAL lock_timeout = '1s'"
            )
            try:
                conn.execute(stmt, [{"_id": i, "_v": v} for i, v in values.items()])
                conn.commit()
            finally:
                if sqlite:  # the pooled connection goes back with the usual patience
                    conn.exec_driver_sql("PRAGMA busy_timeout=30000")
    except OperationalError as exc:
        log.info("visibility of %d detections not cached (database busy): %s", len(values), exc)


def exemplars_of(
    session: Session,
    deer_ids: Sequence[int],
    n: int = 4,
    *,
    reads: int = EXEMPLAR_READS,
    exclude: Sequence[int] = (),
) -> dict[int, list[Crop]]:
    """Each deer's ``n`` best-visible detections (reviewed-rejected ones excluded), at most one
    per burst track: five frames of one burst show one moment, not five views of the deer.
    ``exclude``: detections not to show (the ones being judged). One query for all the deer."""
    ids = sorted(set(deer_ids))
    if not ids:
        return {}
    where = [Detection.deer_id.in_(ids), Detection.match_status != MatchStatus.REJECTED.value]
    if exclude:
        where.append(Detection.id.not_in(list(exclude)))
    groups: dict[int, list] = {i: [] for i in ids}
    for r in _crop_rows(session, where):
        groups[r[14]].append(r)
    track = {r[0]: r[13] for rows in groups.values() for r in rows}
    out: dict[int, list[Crop]] = {}
    for deer_id, ranked in _ranked(session, groups, reads).items():
        seen: set[int] = set()
        picked: list[Crop] = []
        for row in ranked:
            t = track[row[0]]
            if t is None or t not in seen:
                picked.append(_crop(row))
                seen.add(t)
            if len(picked) >= n:
                break
        out[deer_id] = picked
    return out


def exemplars(
    session: Session,
    deer_id: int,
    n: int = 4,
    *,
    reads: int = EXEMPLAR_READS,
    exclude: Sequence[int] = (),
) -> list[Crop]:
    """One deer's ``n`` best-visible detections (see :func:`exemplars_of`)."""
    return exemplars_of(session, [deer_id], n, reads=reads, exclude=exclude)[deer_id]


def exemplar(session: Session, deer_id: int, *, reads: int = 3) -> Crop | None:
    """The deer's best-visible detection, or None when it has none."""
    best = exemplars(session, deer_id, 1, reads=reads)
    return best[0] if best else None


def best_visible(session: Session, detection_ids: Sequence[int]) -> list[Crop]:
    """The given detections (a burst track, say) best-visible first."""
    rows = _crop_rows(session, (Detection.id.in_(list(detection_ids)),))
    return [_crop(r) for r in _ranked(session, {0: rows}, len(rows))[0]]


def known_deer(session: Session, search: str = "", *, limit: int = 200) -> list[tuple[int, str]]:
    """(id, name) of deer not merged away, for a picker."""
    stmt = select(Deer.id, Deer.name).where(Deer.merged_into.is_(None))
    if search:
        stmt = stmt.where(or_(Deer.name.ilike(f"%{search}%")))
    return [(int(i), n) for i, n in session.execute(stmt.order_by(Deer.name).limit(limit))]


def names(session: Session, deer_ids: Iterable[int]) -> dict[int, str]:
    """Names of the given deer (those that still exist)."""
    ids = sorted(set(deer_ids))
    if not ids:
        return {}
    return dict(session.execute(select(Deer.id, Deer.name).where(Deer.id.in_(ids))).all())

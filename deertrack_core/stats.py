"""Counts and histograms for the dashboard, computed in the database.

Similarity histograms bucket ``floor(score * bins)`` with ``GROUP BY`` so that millions of logged
scores come back as a few hundred rows; nothing loads the scores themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from deertrack_core.models import (
    Deer,
    Deployment,
    Detection,
    Image,
    Job,
    MatchStatus,
    ReidSimilarityScore,
)
from deertrack_core.queries import where_photos
from deertrack_core.review import REVIEWED, TO_REVIEW

S = ReidSimilarityScore


@dataclass(frozen=True)
class OverviewCounts:
    images: int
    detections: int
    animal_detections: int
    individuals: int
    deployments: int
    awaiting_review: int
    reviewed: int
    images_without_detections: int
    scores: int


def overview_counts(session: Session) -> OverviewCounts:
    def count(stmt) -> int:
        return int(session.scalar(stmt) or 0)

    images = count(select(func.count(Image.id)))
    with_dets = count(select(func.count(func.distinct(Detection.image_id))))
    animals = Detection.category == "animal"
    return OverviewCounts(
        images=images,
        detections=count(select(func.count(Detection.id))),
        animal_detections=count(select(func.count(Detection.id)).where(animals)),
        individuals=count(select(func.count(Deer.id)).where(Deer.merged_into.is_(None))),
        deployments=count(select(func.count(Deployment.id))),
        awaiting_review=count(
            select(func.count(Detection.id)).where(animals, Detection.match_status.in_(TO_REVIEW))
        ),
        reviewed=count(
            select(func.count(Detection.id)).where(Detection.match_status.in_(REVIEWED))
        ),
        images_without_detections=images - with_dets,
        scores=count(select(func.count(S.id))),
    )


def _day(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return func.date_trunc("day", column)


def detections_over_time(session: Session, *, deployment_ids: tuple[int, ...] = ()) -> list[dict]:
    """Animal detections per day: ``[{"day": date, "status": str, "detections": n}, ...]``."""
    day = _day(session, Image.captured_at)
    reviewed = case((Detection.match_status.in_(REVIEWED), "reviewed"), else_="not reviewed")
    stmt = (
        select(day, reviewed, func.count(Detection.id))
        .join(Image, Image.id == Detection.image_id)
        .where(Detection.category == "animal", Image.captured_at.is_not(None))
        .where(Image.time_problem.is_(None))  # implausible times stay out of activity
        .group_by(day, reviewed)
        .order_by(day)
    )
    if deployment_ids:
        stmt = stmt.where(Image.deployment_id.in_(deployment_ids))
    out = []
    for d, status, n in session.execute(stmt):
        if isinstance(d, str):
            d = dt.date.fromisoformat(d)
        elif isinstance(d, dt.datetime):
            d = d.date()
        out.append({"day": d, "status": status, "detections": int(n)})
    return out


def evidence_version(session: Session) -> tuple:
    """A fingerprint of the reviewed evidence and the embeddings (one cheap query): equal
    fingerprints mean the threshold curves and the archive outlook would come out the same."""
    from deertrack_core.models import Correction, Embedding, ReidSetting

    row = session.execute(
        select(
            select(func.count(Detection.id))
            .where(Detection.match_status.in_(REVIEWED))
            .scalar_subquery(),
            select(func.count(Detection.id))
            .where(Detection.match_status.in_(TO_REVIEW))
            .scalar_subquery(),
            select(func.max(Correction.id)).scalar_subquery(),
            select(func.count(Embedding.id)).scalar_subquery(),
            select(func.max(Embedding.id)).scalar_subquery(),
            select(func.max(ReidSetting.id)).scalar_subquery(),
            select(func.count(Deer.id)).where(Deer.merged_into.is_(None)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def latest_jobs(session: Session, limit: int = 5) -> list[Job]:
    return list(session.scalars(select(Job).order_by(Job.created_at.desc()).limit(limit)))


def score_models(session: Session) -> list[str]:
    return [m for (m,) in session.execute(select(S.model).distinct().order_by(S.model))]


def deployments(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Deployment.id, Deployment.station, Deployment.camera).order_by(
            Deployment.station, Deployment.camera
        )
    )
    return [(i, f"{st}/{cam}" if cam else st) for i, st, cam in rows]


@dataclass(frozen=True)
class ScoreFilter:
    model: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    deployment_ids: tuple[int, ...] = ()


def _bucket(session: Session, bins: int):
    x = S.similarity_score * bins
    if session.get_bind().dialect.name == "sqlite":
        # SQLite may lack floor(); CAST truncates toward zero, so step negatives down by one.
        t = cast(x, Integer)
        return t - case((x < t, 1), else_=0)
    return cast(func.floor(x), Integer)


def _apply(stmt, flt: ScoreFilter, *, joined_detection: bool):
    if flt.model:
        stmt = stmt.where(S.model == flt.model)
    if flt.start or flt.end or flt.deployment_ids:
        if not joined_detection:
            stmt = stmt.join(Detection, Detection.id == S.detection_id)
        stmt = stmt.join(Image, Image.id == Detection.image_id)
        stmt = where_photos(stmt, deployment_ids=flt.deployment_ids, start=flt.start, end=flt.end)
    return stmt


def _rows(session: Session, stmt, bins: int, group_names: dict) -> list[dict]:
    counts: dict[tuple[str, int], int] = {}
    for b, g, n in session.execute(stmt):
        b = min(max(int(b), -bins), bins - 1)  # a score of exactly 1.0 belongs to the top bin
        key = (group_names.get(g, str(g)), b)
        counts[key] = counts.get(key, 0) + int(n)
    return [
        {"group": g, "lo": b / bins, "hi": (b + 1) / bins, "count": n}
        for (g, b), n in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


def histogram_matched(session: Session, flt: ScoreFilter, *, bins: int = 50) -> list[dict]:
    """Score histogram split by whether the score led to a match."""
    b = _bucket(session, bins).label("b")
    stmt = select(b, S.matched, func.count()).group_by(b, S.matched)
    stmt = _apply(stmt, flt, joined_detection=False)
    return _rows(session, stmt, bins, {True: "matched", False: "not matched"})


def histogram_truth(session: Session, flt: ScoreFilter, *, bins: int = 50) -> list[dict]:
    """Scores of reviewed detections, split into same deer vs different deer."""
    b = _bucket(session, bins).label("b")
    same = case((S.deer_id == Detection.deer_id, "same"), else_="different").label("same")
    stmt = (
        select(b, same, func.count())
        .join(Detection, Detection.id == S.detection_id)
        .where(
            Detection.match_status.in_((MatchStatus.CONFIRMED.value, MatchStatus.CORRECTED.value)),
            Detection.deer_id.is_not(None),
        )
        .group_by(b, same)
    )
    stmt = _apply(stmt, flt, joined_detection=True)
    return _rows(session, stmt, bins, {"same": "same deer", "different": "different deer"})


@dataclass(frozen=True)
class BestScores:
    """Histogram of each detection's best score (its latest run), for "what would the archive get"."""

    edges: np.ndarray  # bins+1 edges over [lo, 1]
    counts: np.ndarray
    unscored: int  # animal detections with no logged score (first of their kind: new deer)

    def at(self, threshold: float) -> tuple[int, int]:
        """(automatic matches, new individuals or proposals) at ``threshold``."""
        idx = int(np.searchsorted(self.edges, threshold, side="right")) - 1
        idx = min(max(idx, 0), len(self.counts))
        above = int(self.counts[idx:].sum())
        return above, int(self.counts[:idx].sum()) + self.unscored


def best_scores(session: Session, model: str | None = None, *, bins: int = 200) -> BestScores:
    """Per-detection maximum score bucketed in SQL (one row per bucket comes back)."""
    best = select(S.detection_id, func.max(S.similarity_score).label("s")).group_by(S.detection_id)
    if model:
        best = best.where(S.model == model)
    best = best.subquery()
    x = best.c.s * bins
    if session.get_bind().dialect.name == "sqlite":
        t = cast(x, Integer)
        bucket = t - case((x < t, 1), else_=0)
    else:
        bucket = cast(func.floor(x), Integer)
    rows = session.execute(select(bucket, func.count()).group_by(bucket)).all()
    edges = np.linspace(-1.0, 1.0, 2 * bins + 1)
    counts = np.zeros(2 * bins, dtype=np.int64)
    for b, n in rows:
        counts[min(max(int(b) + bins, 0), 2 * bins - 1)] += int(n)
    animals = session.scalar(select(func.count(Detection.id)).where(Detection.category == "animal"))
    unscored = max(int(animals or 0) - int(counts.sum()), 0)
    return BestScores(edges, counts, unscored)

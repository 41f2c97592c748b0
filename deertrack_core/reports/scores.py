"""Similarity-score analysis: a summary computed in the database, and every score exported.

:func:`score_summary` answers what the original system's score scripts did — the distribution
of logged scores by bucket, how many led to a match, per model and run, and, where a reviewer
has identified the detection, same-deer versus different-deer scores — with ``GROUP BY``
queries, so millions of scores come back as a few hundred rows.

:func:`write_scores_csv` / :func:`write_scores_parquet` stream the scores (with the detection's
current identity, whether a reviewer set it, and where and when it was photographed) in chunks,
so memory stays bounded whatever the archive's size.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from deertrack_core.analysis.load import day_bounds
from deertrack_core.models import Deployment, Detection, Image, MatchStatus
from deertrack_core.models import ReidSimilarityScore as S
from deertrack_core.progress import ProgressCallback, noop

REVIEWED = (MatchStatus.CONFIRMED.value, MatchStatus.CORRECTED.value)
MAX_BINS = 200
CHUNK = 50_000

COLUMNS = ["score_id", "detection_id", "deer_id", "similarity_score", "matched",
           "threshold_used", "model", "run_id", "calculated_at", "detection_deer_id",
           "match_status", "reviewed", "same_deer", "station", "captured_at"]  # fmt: skip


@dataclass(frozen=True)
class ScoreQuery:
    """Which scores: one model, one run, photos in a date range, some deployments."""

    model: str | None = None
    run_id: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    deployments: tuple[int, ...] = ()

    @classmethod
    def from_request(cls, request) -> ScoreQuery:
        return cls(request.model, request.run_id, request.start_date, request.end_date,
                   tuple(request.deployments))  # fmt: skip

    def apply(self, stmt, *, joined: bool = False, joined_image: bool = False):
        """``stmt`` filtered; ``joined``: it already joins Detection (``joined_image``: and
        Image), else they are joined only when a date or deployment filter needs them."""
        if self.model:
            stmt = stmt.where(S.model == self.model)
        if self.run_id:
            stmt = stmt.where(S.run_id == self.run_id)
        if self.start or self.end or self.deployments:
            if not joined:
                stmt = stmt.join(Detection, Detection.id == S.detection_id)
            if not joined_image:
                stmt = stmt.join(Image, Image.id == Detection.image_id)
            lo, hi = day_bounds(self.start, self.end)
            if lo is not None:
                stmt = stmt.where(Image.captured_at >= lo)
            if hi is not None:
                stmt = stmt.where(Image.captured_at < hi)
            if self.deployments:
                stmt = stmt.where(Image.deployment_id.in_(list(self.deployments)))
        return stmt


@dataclass(frozen=True)
class ScoreSummary:
    bins: int
    total: int
    matched: int
    runs: list[dict[str, Any]]  # per model and run
    buckets: list[dict[str, Any]]  # lo, hi, scores, matched, same, different
    reviewed: dict[str, Any]  # same vs different where reviewed: counts, means, AUC
    query: dict[str, Any] = field(default_factory=dict)

    @property
    def matched_rate(self) -> float | None:
        return self.matched / self.total if self.total else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "matched_rate": self.matched_rate}


def _bucket(session: Session, bins: int):
    x = S.similarity_score * bins
    if session.get_bind().dialect.name == "sqlite":
        t = cast(x, Integer)  # SQLite may lack floor(); CAST truncates toward zero
        return t - case((x < t, 1), else_=0)
    return cast(func.floor(x), Integer)


def score_summary(
    session: Session, query: ScoreQuery | None = None, *, bins: int = 20
) -> ScoreSummary:
    """The score distribution by bucket, matched rate, per model/run, same vs different."""
    if not 1 <= bins <= MAX_BINS:
        raise ValueError(f"bins must be between 1 and {MAX_BINS}")
    q = query or ScoreQuery()
    runs_stmt = q.apply(
        select(S.model, S.run_id, func.count(), func.sum(cast(S.matched, Integer)),
               func.count(func.distinct(S.detection_id)), func.count(func.distinct(S.deer_id)),
               func.min(S.threshold_used), func.max(S.threshold_used), func.avg(S.similarity_score),
               func.min(S.calculated_at), func.max(S.calculated_at))
        .group_by(S.model, S.run_id)
    )  # fmt: skip
    runs = []
    for model, run, n, m, dets, deer, tlo, thi, mean, first, last in session.execute(runs_stmt):
        runs.append({
            "model": model, "run_id": run, "scores": int(n), "matched": int(m or 0),
            "matched_rate": round(int(m or 0) / int(n), 4) if n else None,
            "detections": int(dets), "deer": int(deer),
            "threshold": round(float(tlo), 4) if tlo == thi else [float(tlo), float(thi)],
            "mean_score": round(float(mean), 4), "first": str(first), "last": str(last),
            "kind": "backfill" if str(run).startswith("backfill-") else "matching",
        })  # fmt: skip
    runs.sort(key=lambda r: r["first"])
    b = _bucket(session, bins).label("b")
    same = and_(Detection.match_status.in_(REVIEWED), S.deer_id == Detection.deer_id)
    different = and_(Detection.match_status.in_(REVIEWED), S.deer_id != Detection.deer_id)
    hist_stmt = q.apply(
        select(b, func.count(), func.sum(cast(S.matched, Integer)),
               func.sum(case((same, 1), else_=0)), func.sum(case((different, 1), else_=0)))
        .join(Detection, Detection.id == S.detection_id).group_by(b),
        joined=True,
    )  # fmt: skip
    counts: dict[int, np.ndarray] = {}
    for bucket, n, m, s, d in session.execute(hist_stmt):
        key = min(max(int(bucket), -bins), bins - 1)  # a score of exactly 1.0: the top bucket
        counts.setdefault(key, np.zeros(4, dtype=np.int64))
        counts[key] += [int(n), int(m or 0), int(s or 0), int(d or 0)]
    buckets = [
        {"lo": k / bins, "hi": (k + 1) / bins, "scores": int(v[0]), "matched": int(v[1]),
         "same_deer": int(v[2]), "different_deer": int(v[3])}
        for k, v in sorted(counts.items())
    ]  # fmt: skip
    total = sum(r["scores"] for r in runs)
    matched = sum(r["matched"] for r in runs)
    summary = ScoreSummary(bins, total, matched, runs, buckets, _reviewed(session, q, buckets),
                           asdict(q))  # fmt: skip
    return summary


def _reviewed(session: Session, q: ScoreQuery, buckets: list[dict]) -> dict[str, Any]:
    """Same vs different deer among scores of reviewed detections, and the ROC AUC the
    bucketed counts give (ties within a bucket count half)."""
    same_expr = S.deer_id == Detection.deer_id
    stmt = q.apply(
        select(same_expr, func.count(), func.avg(S.similarity_score))
        .join(Detection, Detection.id == S.detection_id)
        .where(Detection.match_status.in_(REVIEWED))
        .group_by(same_expr),
        joined=True,
    )
    out: dict[str, Any] = {"same_deer": 0, "different_deer": 0, "mean_same": None,
                           "mean_different": None, "roc_auc": None}  # fmt: skip
    for is_same, n, mean in session.execute(stmt):
        key = "same" if is_same else "different"
        out[f"{key}_deer"] = int(n)
        out[f"mean_{key}"] = round(float(mean), 4)
    s = np.array([b["same_deer"] for b in buckets], dtype=float)
    d = np.array([b["different_deer"] for b in buckets], dtype=float)
    if s.sum() and d.sum():
        below = np.cumsum(d) - d  # different scores in lower buckets
        out["roc_auc"] = round(float(((below + d / 2) * s).sum() / (s.sum() * d.sum())), 4)
    return out


# --- export ------------------------------------------------------------------------------------


def _rows(session: Session, q: ScoreQuery) -> Iterator[list[tuple]]:
    reviewed = Detection.match_status.in_(REVIEWED)
    stmt = (
        select(S.id, S.detection_id, S.deer_id, S.similarity_score, S.matched, S.threshold_used,
               S.model, S.run_id, S.calculated_at, Detection.deer_id, Detection.match_status,
               reviewed, case((reviewed, S.deer_id == Detection.deer_id), else_=None),
               Deployment.station, Image.captured_at)
        .join(Detection, Detection.id == S.detection_id)
        .join(Image, Image.id == Detection.image_id)
        .join(Deployment, Deployment.id == Image.deployment_id)
        .order_by(S.id)
    )  # fmt: skip
    stmt = q.apply(stmt, joined=True, joined_image=True)
    result = session.connection().execution_options(yield_per=CHUNK).execute(stmt)
    for part in result.partitions(CHUNK):
        yield [tuple(r) for r in part]


def write_scores_csv(session: Session, request, path: Path, *,
                     progress: ProgressCallback | None = None) -> int:  # fmt: skip
    """Every score the request selects as CSV (streamed); returns the rows written."""
    progress = progress or noop
    n = 0
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for chunk in _rows(session, ScoreQuery.from_request(request)):
            writer.writerows(_plain(r) for r in chunk)
            n += len(chunk)
            progress(2, 5, f"{n:,} scores written")
    return n


def _plain(row: tuple) -> tuple:
    return tuple(v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v for v in row)


def write_scores_parquet(session: Session, request, path: Path, *,
                         progress: ProgressCallback | None = None) -> int:  # fmt: skip
    """Every score the request selects as Parquet (row groups of ``CHUNK``); returns rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    progress = progress or noop
    schema = pa.schema([
        ("score_id", pa.int64()), ("detection_id", pa.int64()), ("deer_id", pa.int64()),
        ("similarity_score", pa.float64()), ("matched", pa.bool_()),
        ("threshold_used", pa.float64()), ("model", pa.string()), ("run_id", pa.string()),
        ("calculated_at", pa.timestamp("us")), ("detection_deer_id", pa.int64()),
        ("match_status", pa.string()), ("reviewed", pa.bool_()), ("same_deer", pa.bool_()),
        ("station", pa.string()), ("captured_at", pa.timestamp("us")),
    ])  # fmt: skip
    n = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for chunk in _rows(session, ScoreQuery.from_request(request)):
            columns = list(zip(*chunk, strict=True))
            arrays = [pa.array([_coerce(v, f.type) for v in col], type=f.type)
                      for col, f in zip(columns, schema, strict=True)]  # fmt: skip
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            n += len(chunk)
            progress(2, 5, f"{n:,} scores written")
        if n == 0:
            writer.write_table(schema.empty_table())
    return n


def _coerce(value, kind):
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_boolean(kind):
        return bool(value)
    if pa.types.is_timestamp(kind) and isinstance(value, str):  # SQLite hands back text
        return dt.datetime.fromisoformat(value)
    return value

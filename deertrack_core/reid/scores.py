"""Similarity-score logging and embedding look-ups for matching, backfill and calibration.

Scores are written in bulk on the raw DBAPI connection of the caller's transaction: ``COPY`` on
PostgreSQL, one ``executemany`` on SQLite. An ORM object per score costs ~100x more (see
bench/backfill.py); with tens of thousands of scores per run that is the difference between
seconds and hours.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from deertrack_core.models import Deer, Detection, Embedding, MatchStatus
from deertrack_core.reid.prototypes import Gallery

log = logging.getLogger(__name__)

_COLUMNS = (
    "detection_id",
    "deer_id",
    "similarity_score",
    "matched",
    "threshold_used",
    "model",
    "run_id",
    "calculated_at",
)
_IN_CHUNK = 900  # stays under SQLite's bound-parameter limit


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class ScoreRows:
    """Scores of one run, as parallel arrays (one entry per (detection, deer) pair)."""

    detection_ids: np.ndarray
    deer_ids: np.ndarray
    scores: np.ndarray
    matched: np.ndarray  # bool

    @classmethod
    def from_matrix(
        cls,
        detection_ids: Sequence[int] | np.ndarray,
        deer_ids: Sequence[int] | np.ndarray,
        scores: np.ndarray,
        matched: np.ndarray,
    ) -> ScoreRows:
        """Flatten a ``(n, k)`` score matrix; ``nan`` entries (no prototype) are dropped."""
        scores = np.asarray(scores)
        n, k = scores.shape
        det = np.repeat(np.asarray(detection_ids, dtype=np.int64), k)
        deer = np.tile(np.asarray(deer_ids, dtype=np.int64), n)
        flat = scores.reshape(-1)
        keep = ~np.isnan(flat)
        return cls(det[keep], deer[keep], flat[keep], np.asarray(matched).reshape(-1)[keep])

    def __len__(self) -> int:
        return len(self.scores)


def write_scores(
    connection: Connection,
    rows: ScoreRows,
    *,
    threshold: float,
    model: str,
    run_id: str,
    calculated_at: dt.datetime | None = None,
) -> int:
    """Insert score rows in bulk inside the connection's current transaction; returns the count.

    PostgreSQL: ``COPY`` (a re-run of the same run is prevented by the caller, see backfill);
    SQLite: ``executemany`` with ``ON CONFLICT DO NOTHING``.
    """
    if len(rows) == 0:
        return 0
    when = calculated_at or utcnow()
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        _copy_postgres(raw, rows, threshold=threshold, model=model, run_id=run_id, when=when)
    else:
        stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")
        params = zip(
            rows.detection_ids.tolist(),
            rows.deer_ids.tolist(),
            rows.scores.astype(np.float64).tolist(),
            rows.matched.astype(np.int64).tolist(),
            _repeat(float(threshold), len(rows)),
            _repeat(model, len(rows)),
            _repeat(run_id, len(rows)),
            _repeat(stamp, len(rows)),
            strict=True,
        )
        sql = (
            f"INSERT INTO reid_similarity_scores ({', '.join(_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, detection_id, deer_id) DO NOTHING"
        )
        cur = raw.cursor()
        try:
            cur.executemany(sql, params)
        finally:
            cur.close()
    return len(rows)


def _repeat(value: Any, n: int) -> Iterable[Any]:
    return (value for _ in range(n))


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_postgres(
    raw: Any, rows: ScoreRows, *, threshold: float, model: str, run_id: str, when: dt.datetime
) -> None:
    tail = f"\t{float(threshold)!r}\t{_copy_escape(model)}\t{_copy_escape(run_id)}\t{when.isoformat()}\n"
    flags = np.where(rows.matched, "t", "f").tolist()
    text = "".join(
        f"{d}\t{k}\t{s!r}\t{m}{tail}"
        for d, k, s, m in zip(
            rows.detection_ids.tolist(),
            rows.deer_ids.tolist(),
            rows.scores.astype(np.float64).tolist(),
            flags,
            strict=True,
        )
    )
    cur = raw.cursor()
    try:
        cur.copy_expert(
            f"COPY reid_similarity_scores ({', '.join(_COLUMNS)}) FROM STDIN",
            io.StringIO(text),
        )
    finally:
        cur.close()


def cached_vectors(
    session: Session, model: str, detection_ids: Sequence[int] | None = None
) -> dict[int, np.ndarray]:
    """Cached embeddings of ``model``: ``{detection_id: float32 vector}`` (all, or those asked)."""
    out: dict[int, np.ndarray] = {}
    query = select(Embedding.detection_id, Embedding.vector).where(Embedding.model == model)
    queries = [query]
    if detection_ids is not None:
        ids = list(dict.fromkeys(int(i) for i in detection_ids))
        if session.get_bind().dialect.name == "postgresql":
            # One round trip with the ids as an array parameter: chunked IN lists cost a query
            # per 500 ids, which dominated reading a large gallery.
            wanted = bindparam("ids", ids, type_=ARRAY(BigInteger))
            queries = [query.where(Embedding.detection_id == any_(wanted))]
        else:
            queries = [
                query.where(Embedding.detection_id.in_(ids[i : i + _IN_CHUNK]))
                for i in range(0, len(ids), _IN_CHUNK)
            ]
    for q in queries:
        for det_id, blob in session.execute(q):
            out[int(det_id)] = np.frombuffer(blob, dtype=np.float32)
    return out


def vectors_for(
    session: Session,
    model: str,
    detection_ids: Sequence[int],
    *,
    embedder: Any = None,
    progress: Any = None,
) -> dict[int, np.ndarray]:
    """Embeddings for ``detection_ids``: cached ones read, missing ones embedded and cached.

    The embedder is built (``get_embedder(model)``) only when something is missing, so a fully
    cached archive needs no model at all. Detections that could not be embedded are absent from
    the result.
    """
    found = cached_vectors(session, model, detection_ids)
    missing = [int(i) for i in detection_ids if int(i) not in found]
    if not missing:
        return found
    from deertrack_core.reid import cache, embedders

    if embedder is None:
        embedder = embedders.get_embedder(model)
    log.info("embedding %d detections with %s", len(missing), embedder.name)
    made = cache.ensure_embeddings(session, missing, embedder, progress=progress)
    found.update({int(k): np.asarray(v, dtype=np.float32) for k, v in made.items()})
    return found


def stack(vectors: dict[int, np.ndarray], ids: Sequence[int]) -> np.ndarray:
    """The vectors of ``ids`` as one float32 matrix (rows in the order of ``ids``)."""
    if not ids:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([vectors[int(i)] for i in ids]).astype(np.float32, copy=False)


def _members_query():
    """Detections that have a deer (not rejected, deer not merged away), by detection id."""
    return (
        select(Detection.id, Detection.deer_id, Detection.match_status)
        .join(Deer, Deer.id == Detection.deer_id)
        .where(
            Detection.deer_id.is_not(None),
            Detection.match_status != MatchStatus.REJECTED.value,
            Deer.merged_into.is_(None),
        )
        .order_by(Detection.id)
    )


def gallery_members(
    session: Session, *, statuses: Sequence[str] | None = None
) -> list[tuple[int, int]]:
    """``(detection_id, deer_id)`` of detections that have a deer (not rejected, deer not merged
    away), optionally only those whose match_status is in ``statuses``; ordered by detection."""
    query = _members_query()
    if statuses is not None:
        query = query.where(Detection.match_status.in_(list(statuses)))
    return [(int(d), int(k)) for d, k, _ in session.execute(query)]


def labelled_matrix(
    session: Session,
    model: str,
    *,
    statuses: Sequence[str] | None = None,
    embedder: Any = None,
    embed_missing: bool = True,
    progress: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gallery as arrays: ``(detection_ids, deer_ids, (n, dim) embeddings)``.

    Missing embeddings are computed when ``embed_missing`` (else those detections are left out).
    """
    members = gallery_members(session, statuses=statuses)
    ids = [d for d, _ in members]
    if embed_missing:
        vectors = vectors_for(session, model, ids, embedder=embedder, progress=progress)
    else:
        vectors = cached_vectors(session, model, ids)
    kept = [(d, k) for d, k in members if d in vectors]
    if len(kept) < len(members):
        log.warning("%d gallery detections have no %s embedding", len(members) - len(kept), model)
    det_ids = np.asarray([d for d, _ in kept], dtype=np.int64)
    deer_ids = np.asarray([k for _, k in kept], dtype=np.int64)
    return det_ids, deer_ids, stack(vectors, det_ids.tolist())


@dataclass(frozen=True)
class LabelledGallery:
    """Every identified detection with a cached embedding, loaded once: the matching gallery,
    and (``reviewed``) the evidence a threshold is calibrated on."""

    detection_ids: np.ndarray
    deer_ids: np.ndarray
    matrix: np.ndarray  # (n, dim) float32
    reviewed: np.ndarray  # bool: confirmed or corrected by a person


def load_labelled(session: Session, model: str) -> LabelledGallery:
    """The gallery of ``model`` from cached embeddings only (detections without one left out)."""
    # One join instead of a list of ids: the gallery can hold hundreds of thousands.
    query = (
        _members_query()
        .add_columns(Embedding.vector)
        .join(Embedding, (Embedding.detection_id == Detection.id) & (Embedding.model == model))
    )
    rows = session.execute(query).all()
    reviewed = {MatchStatus.CONFIRMED.value, MatchStatus.CORRECTED.value}
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return LabelledGallery(empty, empty, np.zeros((0, 0), dtype=np.float32), empty.astype(bool))
    dim = len(rows[0][3]) // 4
    return LabelledGallery(
        detection_ids=np.asarray([r[0] for r in rows], dtype=np.int64),
        deer_ids=np.asarray([r[1] for r in rows], dtype=np.int64),
        matrix=np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float32).reshape(-1, dim),
        reviewed=np.asarray([r[2] in reviewed for r in rows], dtype=bool),
    )


def load_gallery(
    session: Session, model: str, *, kind: str = "mean", embedder: Any = None, progress: Any = None
) -> Gallery:
    """The known deer as a :class:`Gallery` of their detections' embeddings under ``model``."""
    _, deer_ids, matrix = labelled_matrix(session, model, embedder=embedder, progress=progress)
    return Gallery.from_exemplars(matrix, deer_ids, kind)

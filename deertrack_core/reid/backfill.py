"""Backfill: the score of every identified detection against every deer, from cached embeddings.

This is the evidence the threshold tools and histograms read. Each detection is left out of its
own deer's prototype (closed form, see :mod:`deertrack_core.reid.prototypes`), so "same deer"
scores are honest. A score row's ``matched`` says whether the deer is the detection's deer.

Idempotent and resumable: a run has a stable id (``backfill-<hash of model, prototype kind and the
detection→deer assignment>``); a detection's scores and its ``backfill_progress`` row are written in
the same transaction, so a run killed half-way and started again skips what is done and ends with
exactly the rows an uninterrupted run writes. When reviewers change identities the hash changes
and the next backfill is a new run.

Written in large batches, one transaction each: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from deertrack_core import db
from deertrack_core.errors import DeertrackError
from deertrack_core.models import BackfillProgress
from deertrack_core.progress import ProgressCallback
from deertrack_core.reid import active
from deertrack_core.reid import prototypes as protos
from deertrack_core.reid.scores import (
    ScoreRows,
    cached_vectors,
    gallery_members,
    stack,
    utcnow,
    vectors_for,
    write_scores,
)

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500  # detections per transaction (x the number of deer = rows)


@dataclass(frozen=True)
class BackfillSummary:
    run_id: str
    model: str
    prototype: str
    threshold: float
    detections: int  # identified detections with an embedding (the run's scope)
    deer: int
    already_done: int  # detections finished by an earlier, interrupted call of this run
    processed: int  # detections scored by this call
    scores_written: int
    batches: int
    missing_embeddings: int  # identified detections left out: no embedding could be had
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def backfill_run_id(
    model: str, prototype: str, detection_ids: Sequence[int], deer_ids: Sequence[int]
) -> str:
    """Stable id of a backfill over this assignment of detections to deer."""
    h = hashlib.sha256(f"{model}\n{prototype}\n".encode())
    h.update(np.asarray(detection_ids, dtype="<i8").tobytes())
    h.update(np.asarray(deer_ids, dtype="<i8").tobytes())
    return f"backfill-{h.hexdigest()[:16]}"


class LeaveOneOutScorer:
    """Scores batches of gallery rows against every deer, each row left out of its own deer."""

    def __init__(self, embeddings: np.ndarray, labels: np.ndarray, kind: str = "mean") -> None:
        protos._check_kind(kind)
        self.kind = kind
        self.unit = protos.normalise(embeddings)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.deer_ids, self._sums, self._counts = protos.group_sums(self.unit, self.labels)
        self._own = np.searchsorted(self.deer_ids, self.labels)
        self._protos = protos.normalise(self._sums)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """``(len(rows), k)`` scores; ``nan`` where the own deer has no other exemplar."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.kind == "max":
            _, out = protos.max_similarity(self.unit[rows], self.unit, self.labels, exclude=rows)
            return out
        out = self.unit[rows] @ self._protos.T
        own = self._own[rows]
        out[np.arange(len(rows)), own] = protos.leave_one_out_own_scores(
            self.unit[rows], self._sums[own], self._counts[own]
        )
        return out

    def own_mask(self, rows: np.ndarray) -> np.ndarray:
        return self._own[np.asarray(rows)][:, None] == np.arange(len(self.deer_ids))[None, :]


def _gallery_vectors(session, model: str, ids: list[int], embedder: Any) -> dict[int, np.ndarray]:
    """Cached vectors, embedding the missing ones first when an embedder can be had."""
    found = cached_vectors(session, model, ids)
    if len(found) == len(set(ids)):
        return found
    try:
        return vectors_for(session, model, ids, embedder=embedder)
    except DeertrackError as exc:
        log.warning("%d detections have no %s embedding and none can be made now: %s",
                    len(set(ids)) - len(found), model, exc)  # fmt: skip
        return found


def backfill(
    url: str | None = None,
    *,
    model: str | None = None,
    run_id: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    prototype: str = "mean",
    embedder: Any = None,
    progress: ProgressCallback | None = None,
) -> BackfillSummary:
    """Score every identified detection against every deer (see the module docstring)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    with db.session_scope(url) as session:
        model, threshold = active.for_run(
            session, model=model or (embedder.name if embedder is not None else None)
        )
        members = gallery_members(session)
        vectors = _gallery_vectors(session, model, [d for d, _ in members], embedder)
    kept = [(d, k) for d, k in members if d in vectors]
    det_ids = np.asarray([d for d, _ in kept], dtype=np.int64)
    labels = np.asarray([k for _, k in kept], dtype=np.int64)
    run_id = run_id or backfill_run_id(model, prototype, det_ids, labels)
    engine = db.get_engine(url)
    with engine.connect() as conn:
        done = {
            int(i)
            for i in conn.execute(
                select(BackfillProgress.detection_id).where(BackfillProgress.run_id == run_id)
            ).scalars()
        }
    scorer = (
        LeaveOneOutScorer(stack(vectors, det_ids.tolist()), labels, prototype) if kept else None
    )
    todo = np.flatnonzero(~np.isin(det_ids, list(done))) if kept else np.zeros(0, np.int64)
    total, finished = len(det_ids), len(det_ids) - len(todo)
    log.info("backfill %s: %d detections x %d deer, %d already done",
             run_id, total, 0 if scorer is None else len(scorer.deer_ids), finished)  # fmt: skip
    if progress:
        progress(finished, total, f"backfill {run_id}")
    written = batches = 0
    for start in range(0, len(todo), batch_size):
        rows = todo[start : start + batch_size]
        assert scorer is not None
        scores = ScoreRows.from_matrix(
            det_ids[rows], scorer.deer_ids, scorer.scores(rows), scorer.own_mask(rows)
        )
        with engine.begin() as conn:
            written += write_scores(
                conn, scores, threshold=threshold, model=model, run_id=run_id,
                calculated_at=utcnow(),
            )  # fmt: skip
            conn.execute(
                insert(BackfillProgress),
                [{"run_id": run_id, "detection_id": int(d)} for d in det_ids[rows]],
            )
        batches += 1
        finished += len(rows)
        if progress:
            progress(finished, total, f"{written} scores written")
    return BackfillSummary(
        run_id=run_id, model=model, prototype=prototype, threshold=threshold, detections=total,
        deer=0 if scorer is None else len(scorer.deer_ids), already_done=total - len(todo),
        processed=len(todo), scores_written=written, batches=batches,
        missing_embeddings=len(members) - len(kept), seconds=time.perf_counter() - started,
    )  # fmt: skip

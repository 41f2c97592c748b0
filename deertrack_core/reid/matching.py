"""Gallery matching: give detections that have no deer yet an identity, or a shortlist.

One decision per track (boxes of one animal across a burst): the track's embedding is the mean of
its members', scored against every known deer in one matrix product. At or above the threshold the
best deer is taken (``auto``); below it the track becomes a new individual (``create``) or waits
for a reviewer with its top-5 candidates (``propose``), per ``DEERTRACK_NEW_INDIVIDUALS``. Tracks are
decided in time order, in chunks, and a new individual joins the gallery at once so the next photos
of it can match it. Every (detection, deer) score is logged to ``reid_similarity_scores``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from deertrack_core import db, settings
from deertrack_core.errors import ConfigurationError
from deertrack_core.models import Deer, Detection, Image, MatchStatus
from deertrack_core.progress import ProgressCallback
from deertrack_core.reid import active
from deertrack_core.reid import prototypes as protos
from deertrack_core.reid.prototypes import Gallery
from deertrack_core.reid.scores import ScoreRows, load_gallery, stack, vectors_for, write_scores
from deertrack_core.reid.tracks import assign_tracks
from deertrack_core.species import reid_clause

log = logging.getLogger(__name__)

NEW_INDIVIDUAL_MODES = ("propose", "create")
TOP_CANDIDATES = 5


@dataclass(frozen=True)
class MatchSummary:
    run_id: str
    model: str
    threshold: float
    mode: str
    detections: int  # pending detections decided
    tracks: int  # identity decisions made (one per track)
    auto: int  # tracks matched to a known deer
    new: int  # tracks that became a new individual (mode create)
    proposed: int  # tracks left for review with candidates (mode propose)
    skipped: int  # detections without an embedding (photo missing or unreadable)
    gallery_deer: int  # deer known before the run
    scores_logged: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _new_individuals_mode(mode: str | None) -> str:
    mode = (mode or settings.new_individuals()).strip().lower()
    if mode not in NEW_INDIVIDUAL_MODES:
        raise ConfigurationError(
            f"DEERTRACK_NEW_INDIVIDUALS is {mode!r}.",
            f"Set it to one of: {', '.join(NEW_INDIVIDUAL_MODES)}.",
        )
    return mode


@dataclass(frozen=True)
class _Pending:
    detection_id: int
    track: tuple[str, int]
    captured_at: Any


def pending_detections(session: Session) -> list[_Pending]:
    """Animal detections without a deer (not rejected), in time order, untimed last; only those
    the species gate lets in (target or unknown species, not a confirmed static object)."""
    rows = session.execute(
        select(Detection.id, Detection.track_id, Image.captured_at)
        .join(Image, Image.id == Detection.image_id)
        .where(
            Detection.deer_id.is_(None),
            Detection.category == "animal",
            Detection.match_status != MatchStatus.REJECTED.value,
            reid_clause(),
        )
        .order_by(Image.captured_at.is_(None), Image.captured_at, Detection.id)
    ).all()
    return [
        _Pending(int(i), ("t", int(t)) if t is not None else ("d", int(i)), c) for i, t, c in rows
    ]


def group_tracks(pending: Sequence[_Pending]) -> list[list[_Pending]]:
    """Members per track, tracks ordered by their first member's time."""
    tracks: dict[tuple[str, int], list[_Pending]] = {}
    for p in pending:
        tracks.setdefault(p.track, []).append(p)
    return list(tracks.values())


def match_pending(
    url: str | None = None,
    *,
    embedder: Any = None,
    threshold: float | None = None,
    new_individuals: str | None = None,
    prototype: str = "mean",
    chunk_size: int = 256,
    progress: ProgressCallback | None = None,
) -> MatchSummary:
    """Decide every pending detection (see the module docstring); commits chunk by chunk."""
    mode = _new_individuals_mode(new_individuals)
    protos._check_kind(prototype)
    run_id = uuid.uuid4().hex
    # Link the boxes of one animal across a burst first, so that a track gets one decision.
    with db.session_scope(url) as session:
        assign_tracks(session)
    with db.session_scope(url) as session:
        model, thr = active.for_run(
            session, model=embedder.name if embedder is not None else None, threshold=threshold
        )
        pending = pending_detections(session)
        vectors = vectors_for(
            session, model, [p.detection_id for p in pending], embedder=embedder, progress=progress
        )
        gallery = load_gallery(session, model, kind=prototype, embedder=embedder, progress=progress)
    usable = [p for p in pending if p.detection_id in vectors]
    skipped = len(pending) - len(usable)
    if skipped:
        log.warning("%d pending detections have no embedding and were skipped", skipped)
    tracks = group_tracks(usable)
    counts = {"auto": 0, "new": 0, "proposed": 0, "scores": 0}
    gallery_deer = len(gallery)
    log.info(
        "matching %d tracks (%d detections) against %d deer, model %s, threshold %.3f, %s",
        len(tracks), len(usable), gallery_deer, model, thr, mode,
    )  # fmt: skip
    if progress:
        progress(0, len(tracks), "matching")
    for start in range(0, len(tracks), chunk_size):
        chunk = tracks[start : start + chunk_size]
        with db.session_scope(url) as session:
            _match_chunk(
                session, chunk, vectors, gallery, model=model, threshold=thr, mode=mode,
                run_id=run_id, counts=counts,
            )  # fmt: skip
        if progress:
            progress(min(start + chunk_size, len(tracks)), len(tracks), "matching")
    return MatchSummary(
        run_id=run_id, model=model, threshold=thr, mode=mode, detections=len(usable),
        tracks=len(tracks), auto=counts["auto"], new=counts["new"], proposed=counts["proposed"],
        skipped=skipped, gallery_deer=gallery_deer, scores_logged=counts["scores"],
    )  # fmt: skip


def _match_chunk(
    session: Session,
    chunk: list[list[_Pending]],
    vectors: dict[int, np.ndarray],
    gallery: Gallery,
    *,
    model: str,
    threshold: float,
    mode: str,
    run_id: str,
    counts: dict[str, int],
) -> None:
    members = [[p.detection_id for p in track] for track in chunk]
    track_vecs = protos.normalise(np.stack([stack(vectors, ids).mean(axis=0) for ids in members]))
    known = len(gallery)
    # One matrix product for the whole chunk against the gallery as it stood at the chunk start;
    # deer created inside the chunk are scored one track at a time as they appear.
    base = gallery.scores(track_vecs)
    dets = {
        d.id: d
        for d in session.scalars(
            select(Detection).where(Detection.id.in_([i for ids in members for i in ids]))
        )
    }
    seen: dict[int, list[Any]] = {}
    logged: list[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]] = []
    for j, track in enumerate(chunk):
        row = base[j]
        if len(gallery) > known:
            row = np.concatenate([row, gallery.scores(track_vecs[j : j + 1], first=known)[0]])
        deer_ids = np.asarray(gallery.deer_ids, dtype=np.int64)
        top = protos.top_k(row[None, :], TOP_CANDIDATES)
        candidates = [
            {"deer_id": int(deer_ids[c]), "score": round(float(s), 4)}
            for c, s in zip(top.indices[0], top.scores[0], strict=True)
            if not np.isnan(s)
        ]
        best_col = int(top.indices[0][0]) if candidates else -1
        best_score = float(row[best_col]) if candidates else None
        matched = np.zeros(len(row), dtype=bool)
        if best_score is not None and best_score >= threshold:
            status, deer_id = MatchStatus.AUTO, int(deer_ids[best_col])
            matched[best_col] = True
            gallery.add(deer_id, stack(vectors, members[j]))
            counts["auto"] += 1
        elif mode == "create":
            deer = Deer(name="new individual")
            session.add(deer)
            session.flush()
            deer.name = f"Deer {deer.id}"
            deer.exemplar_detection_id = members[j][0]
            status, deer_id = MatchStatus.NEW, deer.id
            gallery.add(deer.id, stack(vectors, members[j]))
            counts["new"] += 1
        else:
            status, deer_id = MatchStatus.PROPOSED, None
            counts["proposed"] += 1
        for p in track:
            d = dets.get(p.detection_id)
            if d is None or d.deer_id is not None:
                continue  # deleted or decided by someone else meanwhile
            d.deer_id = deer_id
            d.match_status = status.value
            d.match_score = best_score
            d.candidates = candidates
            if deer_id is not None and p.captured_at is not None:
                seen.setdefault(deer_id, []).append(p.captured_at)
        logged.append((members[j], deer_ids, row, matched))
    session.flush()
    _update_seen(session, seen)
    parts = [
        ScoreRows.from_matrix(
            ids, deer_ids, np.tile(row, (len(ids), 1)), np.tile(matched, (len(ids), 1))
        )
        for ids, deer_ids, row, matched in logged
    ]
    if parts:  # one bulk write for the whole chunk
        rows = ScoreRows(*(np.concatenate([getattr(r, f) for r in parts]) for f in _FIELDS))
        counts["scores"] += write_scores(
            session.connection(), rows, threshold=threshold, model=model, run_id=run_id
        )


_FIELDS = ("detection_ids", "deer_ids", "scores", "matched")


def _update_seen(session: Session, seen: dict[int, list[Any]]) -> None:
    if not seen:
        return
    for deer in session.scalars(select(Deer).where(Deer.id.in_(list(seen)))):
        times = seen[deer.id]
        lo, hi = min(times), max(times)
        deer.first_seen = lo if deer.first_seen is None else min(deer.first_seen, lo)
        deer.last_seen = hi if deer.last_seen is None else max(deer.last_seen, hi)

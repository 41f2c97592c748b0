"""Tracks within bursts: boxes of one animal across consecutive frames share a track id.

A camera trap fires a burst of frames seconds apart; an animal barely moves between them, so boxes
that overlap (IoU ≥ threshold) in consecutive frames of one sequence are the same individual and
need one identity decision, not one per frame. Linking is a Hungarian assignment on IoU between
the tracks alive in the previous frames and the boxes of the next frame.

A track id is the smallest detection id of the track, so re-running gives the same ids and a
singleton detection's track id is its own id.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from deertrack_core.models import Detection, Image
from deertrack_core.progress import ProgressCallback

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class TrackSummary:
    detections: int  # detections given a track id
    tracks: int  # distinct tracks among them (= identity decisions needed)
    multi_frame_tracks: int  # tracks with more than one detection
    sequences: int  # bursts looked at

    @property
    def decisions_saved(self) -> int:
        return self.detections - self.tracks

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "decisions_saved": self.decisions_saved}


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (n, 4) with every box in ``b`` (m, 4); boxes are x, y, w, h."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    ax1, ay1, ax2, ay2 = a[:, 0], a[:, 1], a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx1, by1, bx2, by2 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2) - np.maximum(ax1[:, None], bx1), 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2) - np.maximum(ay1[:, None], by1), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + b[:, 2] * b[:, 3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def link_frames(
    frames: Sequence[Sequence[Box]], iou_threshold: float = 0.3, max_gap: int = 2
) -> list[list[int]]:
    """Track index of every box, frame by frame (same shape as ``frames``).

    A box joins the track whose latest box (seen at most ``max_gap`` frames before: with the
    default 2, one frame where the detector missed the animal does not split its track) overlaps
    it best, under a one-to-one assignment.
    """
    from scipy.optimize import linear_sum_assignment

    out: list[list[int]] = []
    last_box: list[Box] = []  # per track
    last_frame: list[int] = []
    for f, boxes in enumerate(frames):
        labels = [-1] * len(boxes)
        alive = [t for t in range(len(last_box)) if f - last_frame[t] <= max_gap]
        if boxes and alive:
            iou = iou_matrix(np.array([last_box[t] for t in alive]), np.array(boxes))
            rows, cols = linear_sum_assignment(-iou)
            for r, c in zip(rows, cols, strict=True):
                if iou[r, c] >= iou_threshold:
                    labels[c] = alive[r]
        for i, box in enumerate(boxes):
            if labels[i] < 0:
                labels[i] = len(last_box)
                last_box.append(tuple(box))
                last_frame.append(f)
            else:
                last_box[labels[i]] = tuple(box)
                last_frame[labels[i]] = f
        out.append(labels)
    return out


@dataclass(frozen=True)
class _Row:
    detection_id: int
    image_id: int
    sequence_id: int | None
    captured_at: dt.datetime | None
    path: str
    category: str
    box: Box


def _sequence_tracks(rows: list[_Row], iou_threshold: float) -> dict[int, int]:
    """detection id → track id for the rows of one sequence (all categories)."""
    result: dict[int, int] = {}
    for category in sorted({r.category for r in rows}):
        members = [r for r in rows if r.category == category]
        order = sorted({(r.captured_at or dt.datetime.min, r.path, r.image_id) for r in members})
        frame_of = {key[2]: i for i, key in enumerate(order)}
        frames: list[list[_Row]] = [[] for _ in order]
        for r in members:
            frames[frame_of[r.image_id]].append(r)
        labels = link_frames([[r.box for r in fr] for fr in frames], iou_threshold)
        groups: dict[int, list[int]] = {}
        for fr, lab in zip(frames, labels, strict=True):
            for r, t in zip(fr, lab, strict=True):
                groups.setdefault(t, []).append(r.detection_id)
        for ids in groups.values():
            track_id = min(ids)
            result.update(dict.fromkeys(ids, track_id))
    return result


def assign_tracks(
    session: Session,
    *,
    iou_threshold: float = 0.3,
    only_new: bool = True,
    progress: ProgressCallback | None = None,
) -> TrackSummary:
    """Set ``detections.track_id`` for every detection of the sequences that need it.

    With ``only_new`` (the default) only sequences holding a detection without a track are
    (re)linked, whole; otherwise every sequence is. Images without a sequence are their own
    sequence. The caller commits.
    """
    query = (
        select(
            Detection.id,
            Detection.image_id,
            Image.sequence_id,
            Image.captured_at,
            Image.path,
            Detection.category,
            Detection.x,
            Detection.y,
            Detection.w,
            Detection.h,
            Detection.track_id,
        )
        .join(Image, Image.id == Detection.image_id)
        .order_by(Image.sequence_id, Detection.image_id, Detection.id)
    )
    if only_new:
        # Read only the sequences (or lone images) that hold an untracked detection: matching
        # calls this on every run, and most of a large archive is tracked already.
        untracked_rows = select(Detection.image_id).where(Detection.track_id.is_(None))
        untracked_seqs = (
            select(Image.sequence_id)
            .join(Detection, Detection.image_id == Image.id)
            .where(Detection.track_id.is_(None), Image.sequence_id.is_not(None))
        )
        query = query.where(
            or_(
                Image.sequence_id.in_(untracked_seqs),
                and_(Image.sequence_id.is_(None), Detection.image_id.in_(untracked_rows)),
            )
        )
    groups: dict[tuple[str, int], list[_Row]] = {}
    untracked: set[tuple[str, int]] = set()
    for det_id, image_id, seq, when, path, cat, x, y, w, h, track in session.execute(query):
        key = ("seq", seq) if seq is not None else ("img", image_id)
        groups.setdefault(key, []).append(
            _Row(det_id, image_id, seq, when, path, cat or "", (x, y, w, h))
        )
        if track is None:
            untracked.add(key)
    keys = [k for k in groups if k in untracked] if only_new else list(groups)
    assignments: dict[int, int] = {}
    for done, key in enumerate(keys, 1):
        assignments.update(_sequence_tracks(groups[key], iou_threshold))
        if progress and (done % 200 == 0 or done == len(keys)):
            progress(done, len(keys), "linking boxes across bursts")
    table = Detection.__table__
    stmt = update(table).where(table.c.id == bindparam("did")).values(track_id=bindparam("tid"))
    items = list(assignments.items())
    for i in range(0, len(items), 1000):
        session.execute(stmt, [{"did": d, "tid": t} for d, t in items[i : i + 1000]])
    tracks = set(assignments.values())
    sizes: dict[int, int] = {}
    for t in assignments.values():
        sizes[t] = sizes.get(t, 0) + 1
    summary = TrackSummary(
        detections=len(assignments),
        tracks=len(tracks),
        multi_frame_tracks=sum(1 for s in sizes.values() if s > 1),
        sequences=len(keys),
    )
    log.info("tracks: %s", summary.as_dict())
    return summary


def track_members(session: Session, detection_ids: Sequence[int]) -> dict[int, list[int]]:
    """track id → those of ``detection_ids`` on it (a detection with no track stands alone under
    its own id)."""
    wanted = sorted({int(i) for i in detection_ids})
    tracks: dict[int, list[int]] = {}
    for i in range(0, len(wanted), 500):
        part = wanted[i : i + 500]
        for det_id, track in session.execute(
            select(Detection.id, Detection.track_id).where(Detection.id.in_(part))
        ):
            tracks.setdefault(track if track is not None else det_id, []).append(det_id)
    return {t: sorted(ids) for t, ids in tracks.items()}

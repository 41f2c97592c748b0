"""Run a detector over the photos it has not seen yet, storing its boxes batch by batch.

``detector_passes`` records which model has looked at which photo (found boxes or not), so a
second run of the same model adds nothing and a run that was killed resumes after the last batch
it stored: each batch (its boxes and its passes) is one transaction. Two runs at once do not
store a photo twice: a batch keeps only the photos whose pass it could insert.

Boxes land in ``detections`` like imported ones, with ``source`` = the model's id (file name and
content hash); MegaDetector imports never replace them. With ``embed=True`` the new animal boxes
are embedded from the very decode the detector saw (no second read of the photo).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from deertrack_core import db, paths, settings
from deertrack_core.auth import ADMIN, Actor, require_url
from deertrack_core.detect.base import DetectedBox, Detector
from deertrack_core.detect.registry import get_detector
from deertrack_core.errors import ValidationError
from deertrack_core.images import gpu, pipeline
from deertrack_core.images.decode import decode
from deertrack_core.ingest.files import readable
from deertrack_core.ingest.store import FileProblem
from deertrack_core.models import Detection, DetectorPass, Image, MatchStatus
from deertrack_core.progress import ProgressCallback

log = logging.getLogger(__name__)

BATCH = 16


@dataclass(frozen=True)
class DetectSummary:
    model: str
    threshold: float
    photos: int  # photos this run looked at
    seen_before: int  # photos of the selection this model had already looked at
    boxes: int  # boxes stored
    animals: int
    embedded: int = 0
    failed: list[FileProblem] = field(default_factory=list)
    repeat_groups: int = 0  # groups of boxes recurring at one place (suspected static objects)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect_photo(detector: Detector, path: Path, threshold: float) -> list[DetectedBox]:
    """The boxes of one photo file (decoded at the detector's scale), best first."""
    photo = decode(path, frame=detector.input_size)
    return detector.detect([photo.frame()], threshold=threshold)[0]


def best_animal_box(
    detector: Detector, path: Path, thresholds: tuple[float, ...] = (0.3,)
) -> tuple[float, float, float, float] | None:
    """The best animal box of one photo, trying each threshold in turn (None: no animal)."""
    for threshold in thresholds:
        boxes = [b for b in detect_photo(detector, path, threshold) if b.category == "animal"]
        if boxes:
            return boxes[0].box
    return None


def _threshold(value: float | None) -> float:
    threshold = settings.detection_threshold() if value is None else float(value)
    if not 0.0 < threshold <= 1.0:
        raise ValidationError({"threshold": f"{threshold} is not between 0 (excluded) and 1"})
    return threshold


def unseen(
    session: Session, model: str, under: str | None = None
) -> tuple[list[tuple[int, str]], int]:
    """``([(image id, stored path)], seen)``: the photos ``model`` has not looked at (under the
    stored-path prefix ``under`` when given), in id order, and how many it has."""
    seen_q = exists().where(DetectorPass.image_id == Image.id, DetectorPass.model == model)
    stmt = select(Image.id, Image.path, seen_q.label("seen")).order_by(Image.id)
    if under:
        stmt = stmt.where(
            (Image.path == under) | Image.path.startswith(under.rstrip("/") + "/", autoescape=True)
        )
    rows = session.execute(stmt).all()
    return [(r.id, r.path) for r in rows if not r.seen], sum(1 for r in rows if r.seen)


def detect_pending(
    url: str | None = None,
    *,
    detector: Detector | str | None = None,
    class_map: str | None = None,
    threshold: float | None = None,
    under: Path | None = None,
    batch_size: int = BATCH,
    embed: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    actor: Actor | None = None,
) -> DetectSummary:
    """Detect animals (people, vehicles) on every stored photo ``detector`` has not seen.
    ``actor`` must be an admin (checked before anything runs)."""
    require_url(url, actor, ADMIN, "find animals with a detector")
    threshold = _threshold(threshold)
    if detector is None or isinstance(detector, str):
        detector = get_detector(detector, class_map=class_map)
    db.require_schema(db.get_engine(url))
    prefix = None if under is None else paths.to_stored(Path(under))
    with db.session_scope(url) as session:
        todo, seen = unseen(session, detector.name, prefix)
    embedder = None
    if embed:
        from deertrack_core.reid.embedders import get_embedder

        embedder = get_embedder()
    total = len(todo)
    log.info("detect with %s: %d photos to look at, %d seen before", detector.name, total, seen)
    counts = {"photos": 0, "boxes": 0, "animals": 0, "embedded": 0}
    failed: list[FileProblem] = []
    if progress:
        progress(0, total, f"{total} photos to look at")
    for batch in _batches(todo, detector, batch_size, workers):
        # A photo that cannot be decoded gets no pass: the next run tries it again.
        failed += [
            FileProblem(stored, readable(p)) for _, stored, p in batch if isinstance(p, Exception)
        ]
        ok = [(image_id, p) for image_id, _, p in batch if not isinstance(p, Exception)]
        frames = [p.frame(detector.input_size) for _, p in ok]
        found = detector.detect(frames, threshold=threshold) if ok else []
        with db.session_scope(url) as session:
            _store(session, detector.name, ok, found, embedder, counts)
        counts["photos"] += len(batch)
        if progress:
            progress(
                counts["photos"], total, f"{counts['boxes']} boxes on {counts['photos']} photos"
            )
    if counts["boxes"]:
        from deertrack_core.detect.repeats import find_repeats

        with db.session_scope(url) as session:
            counts["repeat_groups"] = len(find_repeats(session))
    return DetectSummary(
        model=detector.name, threshold=threshold, photos=counts["photos"] - len(failed),
        seen_before=seen, boxes=counts["boxes"], animals=counts["animals"],
        embedded=counts["embedded"], failed=failed, repeat_groups=counts.get("repeat_groups", 0),
    )  # fmt: skip


def _batches(
    todo: Sequence[tuple[int, str]], detector: Detector, size: int, workers: int | None
) -> Iterator[list[tuple[int, str, Any]]]:
    """Batches of ``(image id, stored path, decoded photo or its exception)``."""
    jobs = (
        pipeline.PhotoJob(paths.resolve(p), frame=detector.input_size, key=(i, p)) for i, p in todo
    )
    device = getattr(detector, "device", "cpu")
    stream = (
        gpu.decoded(jobs, device=device, workers=workers)
        if gpu.cuda_ready(device)
        else pipeline.decoded(jobs, workers=workers)
    )
    batch: list[tuple[int, str, Any]] = []
    for job, photo in stream:
        batch.append((*job.key, photo))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store(session: Session, model: str, ok, found, embedder, counts: dict[str, int]) -> None:
    """One transaction: the passes first (those another run inserted meanwhile are dropped with
    their boxes), then the boxes, then (optionally) the new animals' embeddings."""
    from deertrack_core.reid.cache import insert_ignoring_duplicates

    if not ok:
        return
    mine = set(
        session.scalars(
            insert_ignoring_duplicates(session, DetectorPass, ("image_id", "model")).returning(
                DetectorPass.image_id
            ),
            [
                {"image_id": i, "model": model, "boxes": len(b)}
                for (i, _), b in zip(ok, found, strict=True)
            ],
        )
    )
    new: list[tuple[Detection, Any, DetectedBox]] = []
    for (image_id, photo), boxes in zip(ok, found, strict=True):
        if image_id not in mine:
            continue
        for b in boxes:
            det = Detection(
                image_id=image_id, x=b.box[0], y=b.box[1], w=b.box[2], h=b.box[3],
                confidence=b.score, category=b.category, source=model[:64],
                match_status=MatchStatus.PENDING.value,
            )  # fmt: skip
            session.add(det)
            new.append((det, photo, b))
    session.flush()
    counts["boxes"] += len(new)
    counts["animals"] += sum(1 for _, _, b in new if b.category == "animal")
    if embedder is not None:
        counts["embedded"] += _embed(
            session, embedder, [(d, p) for d, p, b in new if b.category == "animal"]
        )
    from deertrack_core.species import apply_photo_tags

    apply_photo_tags(session, [d.id for d, _, _ in new])


def _embed(session: Session, embedder, new: list[tuple[Detection, Any]]) -> int:
    """Embed new boxes from the decoded photos the detector saw."""
    from deertrack_core.images.gpu import TensorPhoto, normalised
    from deertrack_core.reid.cache import MARGIN, insert_ignoring_duplicates, to_bytes
    from deertrack_core.reid.embedder_base import fit_crop, l2_normalise

    if not new:
        return 0
    size = getattr(embedder, "input_size", 224)
    vectors = []
    for det, photo in new:
        box = (det.x, det.y, det.w, det.h)
        if isinstance(photo, TensorPhoto):
            x = normalised(photo.crops([box], margin=MARGIN, size=size), embedder)
            vectors.append(l2_normalise(embedder.forward(x))[0] if x is not None else None)
        else:
            vectors.append(fit_crop(photo.crop(box, margin=MARGIN), size))
    pil = [i for i, v in enumerate(vectors) if not hasattr(v, "shape")]
    if pil:
        for i, v in zip(pil, embedder.embed([vectors[i] for i in pil]), strict=True):
            vectors[i] = v
    rows = [
        {
            "detection_id": det.id,
            "model": embedder.name,
            "dim": int(v.shape[0]),
            "vector": to_bytes(v),
        }
        for (det, _), v in zip(new, vectors, strict=True)
    ]
    session.execute(insert_ignoring_duplicates(session), rows)
    return len(rows)


def photos_without_boxes(session: Session) -> tuple[int, int]:
    """``(photos with no box at all, photos)``: what a detector run could still add to."""
    from sqlalchemy import func

    total = int(session.scalar(select(func.count(Image.id))) or 0)
    boxed = exists().where(Detection.image_id == Image.id)
    bare = int(session.scalar(select(func.count(Image.id)).where(~boxed)) or 0)
    return bare, total

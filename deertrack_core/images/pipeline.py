"""The image pipeline: photos decoded once each, in parallel, for the detector and the embedder.

:func:`decoded` runs :func:`deertrack_core.images.decode.decode` on a pool of threads sized by the
machine's cores (Pillow releases the GIL while it decodes) and hands the photos back in order,
a bounded number ahead, so decoding overlaps the model. :func:`crops_for_embedding` turns a
stream of photos and their boxes into batches of embedder-ready crops. On CUDA the same work is
done by :mod:`deertrack_core.images.gpu` (nvJPEG through ``torchvision.io.decode_jpeg``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deertrack_core.images.decode import Photo, decode
from deertrack_core.reid.crops import Box, prefetch

log = logging.getLogger(__name__)


def default_workers() -> int:
    """Decode threads: one per core (decoding releases the GIL)."""
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class PhotoJob:
    """One photo to decode: its boxes (detection id → box) and the detector frame it feeds."""

    path: Path
    boxes: tuple[tuple[int, Box], ...] = ()
    frame: tuple[int, int] | None = None  # (height, width) of the detector's input
    key: Any = field(default=None, compare=False)  # the caller's handle (an image id)


def decoded(
    jobs: Iterable[PhotoJob],
    *,
    margin: float = 0.1,
    min_side: int = 224,
    workers: int | None = None,
    ahead: int | None = None,
    squares: int | None = None,
) -> Iterator[tuple[PhotoJob, Photo | Exception]]:
    """``(job, photo)`` in the order of ``jobs``; a photo that cannot be decoded comes back as
    its exception (the caller decides whether one bad photo stops a run). With ``squares`` the
    workers also cut each box's crop and squash it to that size (``photo.squares``), so that
    resizing runs on the pool too, not between the model's batches."""
    from deertrack_core.reid.embedder_base import fit_crop

    n = workers or default_workers()

    def load(job: PhotoJob) -> Photo:
        photo = decode(
            job.path, frame=job.frame, boxes=[b for _, b in job.boxes], margin=margin,
            min_side=min_side,
        )  # fmt: skip
        if squares:
            for det_id, box in job.boxes:
                try:
                    photo.squares[det_id] = fit_crop(photo.crop(box, margin=margin), squares)
                except ValueError as exc:  # a box with no area, outside the photo
                    photo.squares[det_id] = exc
        return photo

    yield from prefetch(jobs, load, workers=n, ahead=ahead or 4 * n)  # type: ignore[misc]


def group_by_photo(items: Iterable[tuple[int, Path, Box]]) -> list[PhotoJob]:
    """Detections ``(id, photo path, box)`` grouped into one job per photo (first-seen order),
    so a photo with four deer is decoded once, not four times."""
    by_path: dict[Path, list[tuple[int, Box]]] = {}
    for det_id, path, box in items:
        by_path.setdefault(Path(path), []).append((det_id, box))
    return [PhotoJob(path, tuple(boxes)) for path, boxes in by_path.items()]


def crops_for_embedding(
    stream: Iterable[tuple[PhotoJob, Photo | Exception]],
    *,
    size: int,
    margin: float,
    batch_size: int,
) -> Iterator[tuple[list[int], list[Any], int]]:
    """Batches ``(detection ids, square crops, detections handled so far)`` from decoded photos;
    the detections of a photo that failed are skipped (and logged)."""
    from deertrack_core.reid.embedder_base import fit_crop

    ids: list[int] = []
    crops: list[Any] = []
    done = 0
    for job, photo in stream:
        done += len(job.boxes)
        if isinstance(photo, Exception):
            log.warning("photo %s skipped (%d detections): %s", job.path, len(job.boxes), photo)
        else:
            for det_id, box in job.boxes:
                crop = photo.squares.get(det_id)
                if crop is None:
                    try:
                        crop = fit_crop(photo.crop(box, margin=margin), size)
                    except ValueError as exc:
                        crop = exc
                if isinstance(crop, Exception):  # a box with no area, outside the photo
                    log.warning("detection %s skipped: %s", det_id, crop)
                    continue
                ids.append(det_id)
                crops.append(crop)
        while len(ids) >= batch_size:
            yield ids[:batch_size], crops[:batch_size], done
            ids, crops = ids[batch_size:], crops[batch_size:]
    if ids:
        yield ids, crops, done

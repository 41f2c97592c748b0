"""How well an animal can be seen in its box: the order in which a deer's pictures are shown.

A reviewer judges an individual from its best pictures, not from the one the machine happened to
keep first (a deer mostly hidden behind a trunk, a blurred night frame). The visibility of a
detection is

    detector confidence × box area (megapixels of the photo) × sharpness

where sharpness is the variance of the Laplacian of the box, converted to grey and scaled to
:data:`SIDE` pixels on its longer side, so boxes from cameras of any resolution compare fairly.
A large, sharp, confidently detected animal comes first; a small, blurred or half-hidden one last
(an occluded animal usually gets a lower confidence, and a trunk across it leaves less of it in
focus).

Computing sharpness reads the photo, so it is computed on demand for a bounded number of
detections and cached in ``detections.visibility`` (reset when the box changes).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from deertrack_core.reid.crops import Box, crop_box

log = logging.getLogger(__name__)

#: Longer side (pixels) a box is scaled to before its sharpness is measured.
SIDE = 128
#: Photos read at most per call of :func:`compute` (each read costs a JPEG decode).
READ_THREADS = max(2, min(4, os.cpu_count() or 1))


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of a 2-D array (higher: sharper, more texture)."""
    g = np.asarray(grey, dtype=np.float32)
    if g.ndim != 2 or min(g.shape) < 3:
        return 0.0
    lap = (
        g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4.0 * g[1:-1, 1:-1]
    )  # fmt: skip
    return float(lap.var())


def prior(confidence: float, box: Box, width: int, height: int) -> float:
    """Confidence × box area in megapixels: the part of visibility known without the photo."""
    _, _, w, h = box
    pixels = max(float(w), 0.0) * max(float(h), 0.0) * max(width, 1) * max(height, 1)
    return float(confidence or 0.0) * pixels / 1e6


def sharpness(path: Path, box: Box) -> float:
    """Laplacian variance of the box (no margin) at :data:`SIDE` pixels."""
    crop = crop_box(path, box, margin=0.0, min_side=SIDE // 2)
    crop.thumbnail((SIDE, SIDE), Image.Resampling.BILINEAR)
    return laplacian_variance(np.asarray(crop.convert("L")))


def score(confidence: float, box: Box, width: int, height: int, sharp: float) -> float:
    return prior(confidence, box, width, height) * sharp


def compute(
    items: Iterable[tuple[int, Path, Box, float, int, int]],
) -> dict[int, float | None]:
    """Visibility of each ``(detection id, photo path, box, confidence, width, height)``.

    A photo that cannot be read gets ``None`` (shown last, and not worth caching: a moved data
    root or an unmounted disk is not a property of the photo).
    """

    def one(item: tuple[int, Path, Box, float, int, int]) -> tuple[int, float | None]:
        det_id, path, box, conf, width, height = item
        try:
            sharp = sharpness(path, box)
        except Exception as exc:  # noqa: BLE001 - an unreadable photo is simply least visible
            log.warning("visibility of detection %s: cannot read %s (%s)", det_id, path, exc)
            return det_id, None
        return det_id, score(conf, box, width, height, sharp)

    work = list(items)
    if len(work) <= 1:
        return dict(one(i) for i in work)
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:  # PIL decodes without the GIL
        return dict(pool.map(one, work))

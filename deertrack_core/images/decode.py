"""One decode of one photo, as small as its uses allow, upright.

A photo is decoded once for everything it feeds: the detector's frame (a model looks at 416 to
1280 pixels, not 20 megapixels) and the crops of its boxes for the embedder. JPEGs are decoded at
1/2, 1/4 or 1/8 scale (PIL ``draft``: the DCT is reduced while decoding, and Pillow releases the
GIL meanwhile, so threads decode in parallel) whenever the frame and every crop keep enough
pixels at that scale. The EXIF orientation is applied to the decoded image, so boxes
(normalised x, y, w, h of the displayed photo, as MegaDetector writes them) map straight onto it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from deertrack_core.errors import IngestError
from deertrack_core.reid.crops import (
    _TRANSPOSE,
    Box,
    draft_scale,
    expand_box,
    open_photo,
    orientation_of,
)


def scale_for(
    upright: tuple[int, int],
    frame: tuple[int, int] | None,
    boxes: list[Box],
    *,
    margin: float,
    min_side: int,
) -> int:
    """The largest JPEG reduction (1, 2, 4, 8) that keeps the frame at least ``frame`` = (h, w)
    in the model's letterbox sense (the longer side fitting) and every crop ``min_side`` across."""
    w, h = upright
    scale = 8 if frame is not None or boxes else 1  # nothing asked for: every pixel
    if frame is not None:
        # The letterbox fits the photo into the input: the side that limits the fit must keep
        # at least the input's pixels.
        fit = min(frame[1] / w, frame[0] / h)
        scale = min(scale, max(1, 2 ** int(math.floor(math.log2(max(1.0, 1 / fit))))))
    for box in boxes:
        try:
            left, top, right, bottom = expand_box(box, margin)
        except ValueError:
            continue  # a box with no area: its crop is refused later, the others still count
        scale = min(scale, draft_scale((right - left) * w, (bottom - top) * h, min_side))
    return scale


@dataclass
class Photo:
    """A decoded photo: ``image`` upright RGB at ``image.size``; ``full`` its upright size."""

    path: Path
    image: Image.Image
    full: tuple[int, int]
    #: detection id -> its crop squashed for an embedder (or why not), when the pool cut them
    squares: dict[int, object] = field(default_factory=dict)

    def frame(self, fit: tuple[int, int] | None = None) -> np.ndarray:
        """The decoded photo as an (h, w, 3) uint8 array: what a detector looks at (``fit`` is
        the detector's input; the decode scale already chose about that many pixels)."""
        return np.asarray(self.image)

    def crop(self, box: Box, *, margin: float) -> Image.Image:
        """The box (+ margin) cut from the decoded photo (not resized)."""
        left, top, right, bottom = expand_box(box, margin)
        w, h = self.image.size
        # The epsilon keeps float noise (0.2 * 300 = 60.000000001) from adding a pixel row.
        x0, y0 = max(0, math.floor(left * w + 1e-6)), max(0, math.floor(top * h + 1e-6))
        x1, y1 = math.ceil(right * w - 1e-6), math.ceil(bottom * h - 1e-6)
        return self.image.crop((x0, y0, min(w, max(x0 + 1, x1)), min(h, max(y0 + 1, y1))))


def decode(
    path: Path,
    *,
    frame: tuple[int, int] | None = None,
    boxes: list[Box] | tuple[Box, ...] = (),
    margin: float = 0.1,
    min_side: int = 224,
) -> Photo:
    """Decode ``path`` once at the smallest scale its frame and crops allow (see the module
    docstring). Raises NotFoundError / IngestError with the reason."""
    path = Path(path)
    img = open_photo(path)
    try:
        orientation = orientation_of(img)
        raw_w, raw_h = img.size
        upright = (raw_h, raw_w) if orientation in (5, 6, 7, 8) else (raw_w, raw_h)
        scale = scale_for(upright, frame, list(boxes), margin=margin, min_side=min_side)
        if scale > 1 and img.format == "JPEG":
            img.draft("RGB", (math.ceil(raw_w / scale), math.ceil(raw_h / scale)))
        img.load()  # Pillow closes the file of a one-frame image once loaded
    except OSError as exc:
        img.close()
        raise IngestError(f"Photo {path} cannot be decoded ({exc}).") from exc
    image = img if img.mode == "RGB" else img.convert("RGB")
    if orientation != 1:
        image = image.transpose(_TRANSPOSE[orientation])
    return Photo(path, image, upright)

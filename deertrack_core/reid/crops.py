"""Animal crops from photos: a detection box plus a margin, upright, decoded as small as allowed.

Boxes are normalised ``x, y, w, h`` (top-left origin) in the *displayed* frame, i.e. after the
EXIF orientation is applied, as MegaDetector writes them. Decoding a 20-megapixel JPEG costs more
than embedding the crop on a CPU, so JPEGs are decoded at 1/2, 1/4 or 1/8 scale (PIL ``draft``)
whenever the crop still has at least ``min_side`` pixels on its shorter side at that scale. The
orientation is applied to the crop only, not to the whole photo.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from PIL import Image, UnidentifiedImageError

from deertrack_core.errors import IngestError, NotFoundError

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
T = TypeVar("T")

_ORIENTATION_TAG = 0x0112
# EXIF orientation -> the PIL transpose that makes the photo upright (ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def open_photo(path: Path) -> Image.Image:
    """The photo at ``path`` opened lazily (header read); NotFoundError / IngestError name why
    it cannot be."""
    path = Path(path)
    try:
        return Image.open(path)
    except FileNotFoundError:
        raise NotFoundError(
            f"Photo {path} does not exist.",
            "Check DEERTRACK_DATA_ROOT (stored paths are relative to it) or re-ingest the folder.",
        ) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise IngestError(f"Photo {path} cannot be read as an image ({exc}).") from exc


def orientation_of(img: Image.Image) -> int:
    """The photo's EXIF orientation (1 when absent or unreadable)."""
    try:
        value = int(img.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - a broken EXIF block must not stop a crop
        return 1
    return value if value in _TRANSPOSE else 1


def _upright_to_raw(u: float, v: float, orientation: int, raw_w: float, raw_h: float):
    """Map a point of the upright frame back to the stored (raw) pixel frame."""
    if orientation == 2:
        return raw_w - u, v
    if orientation == 3:
        return raw_w - u, raw_h - v
    if orientation == 4:
        return u, raw_h - v
    if orientation == 5:
        return v, u
    if orientation == 6:
        return v, raw_h - u
    if orientation == 7:
        return raw_w - v, raw_h - u
    if orientation == 8:
        return raw_w - v, u
    return u, v


def expand_box(box: Box, margin: float) -> tuple[float, float, float, float]:
    """``(left, top, right, bottom)`` of the box grown by ``margin`` × its size on each side,
    clipped to the unit square."""
    x, y, w, h = (float(v) for v in box)
    if not (w > 0 and h > 0):
        raise ValueError(f"box {box} has no area: width and height must be > 0")
    left = max(0.0, x - margin * w)
    top = max(0.0, y - margin * h)
    right = min(1.0, x + w + margin * w)
    bottom = min(1.0, y + h + margin * h)
    if right <= left or bottom <= top:
        raise ValueError(f"box {box} lies outside the photo")
    return left, top, right, bottom


def box_in_crop(box: Box, margin: float) -> tuple[float, float, float, float]:
    """Where ``box`` lies in the crop of ``box`` + ``margin`` (what :func:`crop_box` returns):
    ``(left, top, right, bottom)`` as fractions of the crop's width and height, for drawing the
    box on a thumbnail of the crop."""
    left, top, right, bottom = expand_box(box, margin)
    x, y, w, h = (float(v) for v in box)
    cw, ch = right - left, bottom - top
    return (x - left) / cw, (y - top) / ch, (x + w - left) / cw, (y + h - top) / ch


def draft_scale(crop_w: float, crop_h: float, min_side: int) -> int:
    """The largest JPEG reduction (1, 2, 4 or 8) that keeps the crop's shorter side ≥ min_side."""
    short = min(crop_w, crop_h)
    scale = 1
    while scale < 8 and short / (scale * 2) >= min_side:
        scale *= 2
    return scale


def crop_box(path: Path, box: Box, margin: float = 0.1, min_side: int = 224) -> Image.Image:
    """The RGB crop of ``box`` (+ ``margin``) from the photo at ``path``, upright.

    The crop is not resized: it is at least ``min_side`` pixels on its shorter side unless the
    box itself is smaller than that in the full-resolution photo.
    """
    left, top, right, bottom = expand_box(box, margin)
    with open_photo(path) as img:
        orientation = orientation_of(img)
        raw_w, raw_h = img.size
        swapped = orientation in (5, 6, 7, 8)
        up_w, up_h = (raw_h, raw_w) if swapped else (raw_w, raw_h)
        # Size of the crop at full resolution decides how far JPEG decoding may shrink.
        scale = draft_scale((right - left) * up_w, (bottom - top) * up_h, min_side)
        if scale > 1 and img.format == "JPEG":
            img.draft("RGB", (math.ceil(raw_w / scale), math.ceil(raw_h / scale)))
        try:
            img.load()
        except OSError as exc:
            raise IngestError(f"Photo {path} cannot be decoded ({exc}).") from exc
        # draft may pick a different reduction than asked: use the size it actually decoded.
        fx, fy = img.size[0] / raw_w, img.size[1] / raw_h
        corners = [
            _upright_to_raw(u * up_w, v * up_h, orientation, raw_w, raw_h)
            for u, v in ((left, top), (right, bottom))
        ]
        # The epsilon keeps float noise (0.2 * 300 = 60.000000001) from adding a pixel row.
        xs = sorted(c[0] * fx for c in corners)
        ys = sorted(c[1] * fy for c in corners)
        x0, y0 = max(0, math.floor(xs[0] + 1e-6)), max(0, math.floor(ys[0] + 1e-6))
        x1, y1 = math.ceil(xs[1] - 1e-6), math.ceil(ys[1] - 1e-6)
        rect = (x0, y0, min(img.size[0], max(x0 + 1, x1)), min(img.size[1], max(y0 + 1, y1)))
        crop = img.crop(rect)
        if crop.mode != "RGB":
            crop = crop.convert("RGB")
    if orientation != 1:
        crop = crop.transpose(_TRANSPOSE[orientation])
    return crop


def upright_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of the photo as displayed (EXIF orientation applied); reads the
    header only."""
    try:
        with Image.open(Path(path)) as img:
            w, h = img.size
            return (h, w) if orientation_of(img) in (5, 6, 7, 8) else (w, h)
    except FileNotFoundError:
        raise NotFoundError(f"Photo {path} does not exist.", "Check DEERTRACK_DATA_ROOT.") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise IngestError(f"Photo {path} cannot be read as an image ({exc}).") from exc


def full_frame(path: Path, min_side: int = 224) -> Image.Image:
    """The whole photo, upright, RGB, decoded at reduced scale when it is large."""
    return crop_box(path, (0.0, 0.0, 1.0, 1.0), margin=0.0, min_side=min_side)


def prefetch(
    items: Iterable[T], load: Callable[[T], object], *, workers: int = 1, ahead: int = 64
) -> Iterator[tuple[T, object]]:
    """Yield ``(item, load(item))`` in order while the next items load in background threads.

    JPEG decoding releases the GIL, so decoding overlaps the model's forward pass. An exception
    from ``load`` is yielded as the value (the caller decides whether one bad photo stops a run).
    """

    def safe(item: T) -> object:
        try:
            return load(item)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, not swallowed
            return exc

    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="crops") as pool:
        pending: list[tuple[T, object]] = []
        for item in iterator:
            pending.append((item, pool.submit(safe, item)))
            if len(pending) >= ahead:
                break
        while pending:
            item, future = pending.pop(0)
            nxt = next(iterator, _END)
            if nxt is not _END:
                pending.append((nxt, pool.submit(safe, nxt)))
            yield item, future.result()  # type: ignore[attr-defined]


_END = object()

"""Crop thumbnails and whole photos with the detection box drawn, cached as JPEG bytes.

The cropping itself is :mod:`deertrack_core.reid.crops` (upright, JPEG draft decoding); this
module only scales, outlines and encodes for the screen.
"""

from __future__ import annotations

import io
import logging

import streamlit as st
from PIL import Image, ImageDraw

from deertrack_core import paths
from deertrack_core.reid.crops import Box, box_in_crop, crop_box, full_frame, upright_size

log = logging.getLogger(__name__)

BOX_COLOUR = (255, 196, 0)  # amber: visible on green, brown and night-grey frames
OTHER_COLOUR = (240, 240, 240)  # the photo's other boxes
MARGIN = 0.25
#: Zoom factors of the compare view, and where in the box a zoom looks (fractions of the box).
ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0)
FOCUS = {
    "↖": (0.2, 0.2), "↑": (0.5, 0.2), "↗": (0.8, 0.2),
    "←": (0.2, 0.5), "·": (0.5, 0.5), "→": (0.8, 0.5),
    "↙": (0.2, 0.8), "↓": (0.5, 0.8), "↘": (0.8, 0.8),
}  # fmt: skip


def _placeholder(size: int, text: str) -> bytes:
    img = Image.new("RGB", (size, size * 3 // 4), (222, 220, 210))
    ImageDraw.Draw(img).text((10, size * 3 // 8 - 6), text, fill=(90, 90, 80))
    return _jpeg(img)


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


@st.cache_data(show_spinner=False, max_entries=2000)
def crop_jpeg(stored_path: str, box: Box, size: int = 256) -> bytes:
    """The box plus a margin, scaled to ``size`` on its longer side, the box outlined."""
    path = paths.resolve(stored_path)
    try:
        crop = crop_box(path, box, margin=MARGIN, min_side=size)
        left, top, right, bottom = box_in_crop(box, MARGIN)
    except Exception as exc:  # noqa: BLE001 - a missing or broken photo shows a placeholder
        log.warning("cannot crop %s: %s", path, exc)
        return _placeholder(size, "photo not found")
    crop.thumbnail((size, size))
    w, h = crop.size
    draw = ImageDraw.Draw(crop)
    rect = (left * w, top * h, right * w, bottom * h)
    draw.rectangle(rect, outline=BOX_COLOUR, width=max(2, size // 100))
    return _jpeg(crop)


def view_region(
    photo: tuple[int, int], box: Box, canvas: tuple[int, int], zoom: float, focus: tuple
) -> tuple[float, float, float, float]:
    """The part of the photo a view of ``box`` shows: ``(x, y, w, h)`` normalised, with the
    canvas's aspect. At zoom 1 the box and a margin, centred on the box; zoomed in, a
    ``zoom`` times smaller region centred on the ``focus`` point of the box, kept inside the
    photo. (May reach past the photo's edges when the photo is smaller than the region.)"""
    pw, ph = photo
    bx, by, bw, bh = (float(v) for v in box)
    rw, rh = bw * pw * (1 + 2 * MARGIN), bh * ph * (1 + 2 * MARGIN)
    aspect = canvas[0] / canvas[1]
    rw, rh = (rh * aspect, rh) if rw / rh < aspect else (rw, rw / aspect)
    zoom = max(1.0, float(zoom))
    rw, rh = rw / zoom, rh / zoom
    fx, fy = focus if zoom > 1 else (0.5, 0.5)
    cx, cy = (bx + bw * fx) * pw, (by + bh * fy) * ph
    # Slide the region back inside the photo (centred where it is larger than the photo).
    cx = pw / 2 if rw >= pw else min(max(cx, rw / 2), pw - rw / 2)
    cy = ph / 2 if rh >= ph else min(max(cy, rh / 2), ph - rh / 2)
    return (cx - rw / 2) / pw, (cy - rh / 2) / ph, rw / pw, rh / ph


@st.cache_data(show_spinner=False, max_entries=600)
def view_jpeg(
    stored_path: str,
    box: Box,
    canvas: tuple[int, int] = (720, 540),
    zoom: float = 1.0,
    focus: tuple[float, float] = (0.5, 0.5),
) -> bytes:
    """The box in a fixed ``canvas`` (so two views compare at the same size), zoomed and
    outlined; what lies beyond the photo's edge is left blank."""
    path = paths.resolve(stored_path)
    try:
        size = upright_size(path)
        x, y, w, h = view_region(size, box, canvas, zoom, focus)
        inside = (
            max(x, 0.0),
            max(y, 0.0),
            min(x + w, 1.0) - max(x, 0.0),
            min(y + h, 1.0) - max(y, 0.0),
        )
        crop = crop_box(path, inside, margin=0.0, min_side=min(canvas))
    except Exception as exc:  # noqa: BLE001 - a missing or broken photo shows a placeholder
        log.warning("cannot show %s: %s", path, exc)
        return _placeholder(canvas[0], "photo not found")
    out = Image.new("RGB", canvas, (233, 229, 216))
    sx, sy = canvas[0] / w, canvas[1] / h  # canvas pixels per unit of photo
    at = (round((inside[0] - x) * sx), round((inside[1] - y) * sy))
    out.paste(crop.resize((max(1, round(inside[2] * sx)), max(1, round(inside[3] * sy)))), at)
    bx, by, bw, bh = box
    rect = ((bx - x) * sx, (by - y) * sy, (bx + bw - x) * sx, (by + bh - y) * sy)
    ImageDraw.Draw(out).rectangle(rect, outline=BOX_COLOUR, width=max(2, canvas[0] // 240))
    return _jpeg(out)


def canvas_for(box: Box, photo_aspect: float = 4 / 3, width: int = 720) -> tuple[int, int]:
    """A canvas shaped like the box's margin crop, between 4:3 landscape and 3:4 portrait, so
    the detection fills its half of the compare view and still fits the screen."""
    _, _, bw, bh = box
    aspect = (bw * photo_aspect) / max(bh, 1e-6)
    aspect = min(max(aspect, 3 / 4), 4 / 3)
    return width, round(width / aspect)


@st.cache_data(show_spinner=False, max_entries=200)
def photo_jpeg(
    stored_path: str, boxes: tuple[Box, ...], max_side: int = 1400, highlight: int = 0
) -> bytes:
    """The whole photo, upright, with every given box outlined; box ``highlight`` in amber,
    the others in white (-1: all amber)."""
    path = paths.resolve(stored_path)
    try:
        photo = full_frame(path, min_side=max_side)
    except Exception as exc:  # noqa: BLE001
        log.warning("cannot open %s: %s", path, exc)
        return _placeholder(480, "photo not found")
    photo.thumbnail((max_side, max_side))
    w, h = photo.size
    draw = ImageDraw.Draw(photo)
    for i, (x, y, bw, bh) in enumerate(boxes):
        colour = BOX_COLOUR if highlight in (i, -1) else OTHER_COLOUR
        rect = (x * w, y * h, (x + bw) * w, (y + bh) * h)
        draw.rectangle(rect, outline=colour, width=max(3, w // 300))
    return _jpeg(photo)

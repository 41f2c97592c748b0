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
from deertrack_core.reid.crops import Box, box_in_crop, crop_box, full_frame

log = logging.getLogger(__name__)

BOX_COLOUR = (255, 196, 0)  # amber: visible on green, brown and night-grey frames
MARGIN = 0.25


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


@st.cache_data(show_spinner=False, max_entries=200)
def photo_jpeg(stored_path: str, boxes: tuple[Box, ...], max_side: int = 1400) -> bytes:
    """The whole photo, upright, with every given box outlined."""
    path = paths.resolve(stored_path)
    try:
        photo = full_frame(path, min_side=max_side)
    except Exception as exc:  # noqa: BLE001
        log.warning("cannot open %s: %s", path, exc)
        return _placeholder(480, "photo not found")
    photo.thumbnail((max_side, max_side))
    w, h = photo.size
    draw = ImageDraw.Draw(photo)
    for x, y, bw, bh in boxes:
        draw.rectangle(
            (x * w, y * h, (x + bw) * w, (y + bh) * h), outline=BOX_COLOUR, width=max(3, w // 300)
        )
    return _jpeg(photo)

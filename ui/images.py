"""Crop thumbnails and whole photos with the detection box drawn, cached as JPEG bytes."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import streamlit as st
from PIL import Image, ImageDraw, ImageOps

from deertrack_core import paths

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
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


def _expand(box: Box, margin: float) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return (
        max(0.0, x - margin * w),
        max(0.0, y - margin * h),
        min(1.0, x + w + margin * w),
        min(1.0, y + h + margin * h),
    )


def _crop_with_core(path: Path, box: Box, size: int) -> Image.Image:
    try:
        from deertrack_core.reid.crops import crop_box
    except ImportError:  # the crops module is not installed yet: crop here
        with Image.open(path) as img:
            img.draft("RGB", (size * 4, size * 4))
            up = ImageOps.exif_transpose(img).convert("RGB")
        left, top, right, bottom = _expand(box, MARGIN)
        w, h = up.size
        return up.crop((int(left * w), int(top * h), int(right * w), int(bottom * h)))
    return crop_box(path, box, margin=MARGIN, min_side=size)


@st.cache_data(show_spinner=False, max_entries=2000)
def crop_jpeg(stored_path: str, box: Box, size: int = 256) -> bytes:
    """The box plus a margin, scaled to ``size`` on its longer side, the box outlined."""
    path = paths.resolve(stored_path)
    try:
        crop = _crop_with_core(path, box, size)
    except Exception as exc:  # noqa: BLE001 - a missing or broken photo shows a placeholder
        log.warning("cannot crop %s: %s", path, exc)
        return _placeholder(size, "photo not found")
    left, top, right, bottom = _expand(box, MARGIN)
    cw, ch = crop.size
    x, y, w, h = box
    sx, sy = cw / max(right - left, 1e-6), ch / max(bottom - top, 1e-6)
    rect = ((x - left) * sx, (y - top) * sy, (x + w - left) * sx, (y + h - top) * sy)
    crop.thumbnail((size, size))
    k = crop.size[0] / cw
    draw = ImageDraw.Draw(crop)
    draw.rectangle([v * k for v in rect], outline=BOX_COLOUR, width=max(2, size // 100))
    return _jpeg(crop)


@st.cache_data(show_spinner=False, max_entries=200)
def photo_jpeg(stored_path: str, boxes: tuple[Box, ...], max_side: int = 1400) -> bytes:
    """The whole photo, upright, with every given box outlined."""
    path = paths.resolve(stored_path)
    try:
        with Image.open(path) as img:
            img.draft("RGB", (max_side, max_side))
            photo = ImageOps.exif_transpose(img).convert("RGB")
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

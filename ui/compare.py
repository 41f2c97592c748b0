"""The compare view of the review desk: the detection beside a candidate, at the same size.

Both pictures are drawn into the same canvas and zoomed the same way (the same share of the box,
looking at the same part of it), so a reviewer compares flank with flank. Below the detection:
the frames of its burst in time order; below the candidate: its pictures, best-visible first.
"""

from __future__ import annotations

import streamlit as st

from deertrack_core.deer import Crop
from deertrack_core.review import ReviewItem
from ui import formats, images
from ui import state as K

THUMB = (200, 160)  # every thumbnail in the same frame, so the strips line up


def _step(key: str, by: int, size: int) -> None:
    st.session_state[key] = ((st.session_state.get(key) or 0) + by) % max(size, 1)


def _zoom_in() -> None:
    zooms = images.ZOOMS
    now = st.session_state.get(K.REVIEW_ZOOM, 1.0)
    st.session_state[K.REVIEW_ZOOM] = zooms[(zooms.index(now) + 1) % len(zooms)]


def controls() -> tuple[float, tuple[float, float]]:
    """Zoom (key Z steps it) and where in the box to look; both pictures follow them."""
    st.session_state.setdefault(K.REVIEW_ZOOM, 1.0)
    st.session_state.setdefault(K.REVIEW_FOCUS, "·")
    z, b, f = st.columns([4, 2, 5], vertical_alignment="bottom")
    zoom = z.select_slider("Zoom", images.ZOOMS, key=K.REVIEW_ZOOM, format_func=lambda v: f"{v:g}×")
    b.button("Zoom in", key="review_zoom_in", shortcut="z", on_click=_zoom_in,
             icon=":material/zoom_in:", width="stretch", help="1× → 1.5× → 2× → 3× → 4× → 1×")  # fmt: skip
    focus = f.segmented_control(
        "Look at (when zoomed)", list(images.FOCUS), key=K.REVIEW_FOCUS,
        disabled=zoom == 1.0, help="Which part of both boxes the zoom shows",
    )  # fmt: skip
    return float(zoom), images.FOCUS.get(focus or "·", (0.5, 0.5))


def candidate_steps(n: int) -> None:
    """Previous / next candidate to compare (keys ↑ ↓)."""
    a, b = st.columns(2)
    a.button("Previous", key="review_cand_up", help="Compare with the previous candidate (↑)", icon=":material/arrow_upward:",
             shortcut="up", on_click=_step, args=(K.REVIEW_CAND, -1, n), width="stretch")  # fmt: skip
    b.button("Next", key="review_cand_down", help="Compare with the next candidate (↓)", icon=":material/arrow_downward:",
             shortcut="down", on_click=_step, args=(K.REVIEW_CAND, 1, n), width="stretch")  # fmt: skip


def _picture_steps(key: str, n: int) -> None:
    a, b = st.columns(2)
    a.button("Previous picture", key="review_pic_prev", icon=":material/arrow_back:",
             shortcut="left", on_click=_step, args=(key, -1, n), width="stretch")  # fmt: skip
    b.button("Next picture", key="review_pic_next", icon=":material/arrow_forward:",
             shortcut="right", on_click=_step, args=(key, 1, n), width="stretch")  # fmt: skip


def chosen(key: str, n: int, default: int = 0) -> int:
    """The index a control of ``key`` points at (a cleared control reads as ``default``)."""
    value = st.session_state.get(key)
    return default if value is None or n == 0 else min(int(value), n - 1)


def _view(crop: Crop, canvas, zoom, focus, caption: str) -> None:
    st.image(images.view_jpeg(crop.path, crop.box, canvas, zoom, focus), caption=caption,
             width="stretch")  # fmt: skip


def pair(item: ReviewItem, frame_key: str, picture_key: str, zoom: float, focus) -> None:
    """The chosen frame of the track beside the chosen picture of the compared candidate."""
    frames = list(item.crops)
    st.session_state.setdefault(frame_key, frames.index(item.lead))
    query = frames[chosen(frame_key, len(frames), frames.index(item.lead))]
    canvas = images.canvas_for(query.box)
    left, right = st.columns(2, gap="medium")
    with left:
        _view(query, canvas, zoom, focus,
              f"This detection · {query.station} · {formats.day_time(query.captured_at)}")  # fmt: skip
        if len(frames) > 1:
            burst(frames, frame_key)
    with right:
        if not item.candidates:
            st.info("No candidates: nothing to compare with yet (the first deer of the archive).")
            return
        i = chosen(K.REVIEW_CAND, len(item.candidates))
        cand = item.candidates[i]
        if not cand.exemplars:
            st.info(f"{cand.name} has no pictures left to compare with.")
            return
        st.session_state.setdefault(picture_key, 0)
        p = chosen(picture_key, len(cand.exemplars))
        pic = cand.exemplars[p]
        _view(pic, canvas, zoom, focus,
              f"Candidate {i + 1}: {cand.name} · picture {p + 1} of {len(cand.exemplars)} · "
              f"{pic.station} · {formats.day_time(pic.captured_at)}")  # fmt: skip
        if len(cand.exemplars) > 1:
            _picture_steps(picture_key, len(cand.exemplars))
            strip(cand.exemplars, picture_key, p)


def burst(frames: list[Crop], key: str) -> None:
    """The frames of the burst in time order, with their times; pick one to judge."""
    labels = formats.burst_times([c.captured_at for c in frames])
    cols = st.columns(min(len(frames), 6))
    for col, c, label in zip(cols, frames[:6], labels, strict=False):
        col.image(images.view_jpeg(c.path, c.box, THUMB), caption=label, width="stretch")
    st.segmented_control(
        "Frame shown", list(range(len(frames))), key=key, format_func=lambda i: labels[i]
    )


def strip(pictures: tuple[Crop, ...], key: str, shown: int) -> None:
    """The candidate's pictures, best-visible first; pick one to compare."""
    cols = st.columns(max(len(pictures), 4))
    for i, (col, c) in enumerate(zip(cols, pictures, strict=False)):
        col.image(images.view_jpeg(c.path, c.box, THUMB), width="stretch",
                  caption=("▲ " if i == shown else "") + formats.day_time(c.captured_at))  # fmt: skip
    st.segmented_control(
        "Picture shown", list(range(len(pictures))), key=key, format_func=lambda i: f"{i + 1}"
    )

"""Drawing helpers of the review screen (kept out of the page so it stays short)."""

from __future__ import annotations

import streamlit as st

from deertrack_core.review import Candidate, ReviewItem
from ui import images


def item_header(item: ReviewItem, remaining: int, threshold: float) -> None:
    when = item.captured_at.strftime("%Y-%m-%d %H:%M") if item.captured_at else "time unknown"
    frames = f"{len(item.crops)} frames" if len(item.crops) > 1 else "1 frame"
    score = f"{item.score:.3f}" if item.score is not None else "—"
    if item.deer_name:
        machine = f"machine says **{item.deer_name}** (score {score})"
    elif item.score is not None:
        machine = f"best score {score} is below the threshold {threshold:.2f}: your call"
    else:
        machine = "not matched yet"
    st.markdown(
        f"**{item.station}** · {when} · {frames} · status **{item.status}** · {machine} · "
        f"{remaining:,} tracks in the queue"
    )


def crops(item: ReviewItem) -> None:
    lead = item.crops[0]
    st.image(images.crop_jpeg(lead.path, lead.box, 420), caption=f"detection {lead.detection_id}")
    if len(item.crops) > 1:
        more = item.crops[1:7]
        cols = st.columns(len(more))
        for col, c in zip(cols, more, strict=False):
            col.image(images.crop_jpeg(c.path, c.box, 140), caption=f"frame {c.detection_id}")


def candidate_row(i: int, c: Candidate, current: int | None) -> bool:
    """One candidate: exemplar, name, score, and its pick button. True when picked."""
    img, text, act = st.columns([2, 3, 2], vertical_alignment="center")
    if c.exemplar is not None:
        img.image(images.crop_jpeg(c.exemplar.path, c.exemplar.box, 160))
    else:
        img.caption("no exemplar yet")
    mark = " ← machine's choice" if c.deer_id == current else ""
    text.markdown(f"**{i + 1}. {c.name}**{mark}  \nscore **{c.score:.3f}** · {c.sex_age}")
    return act.button(
        "This deer",
        key=f"review_pick_{i}",
        shortcut=str(i + 1),
        help=f"Assign to {c.name} (key {i + 1})",
        width="stretch",
    )

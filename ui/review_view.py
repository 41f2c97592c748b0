"""Drawing helpers of the review screen (kept out of the page so it stays short)."""

from __future__ import annotations

import streamlit as st

from deertrack_core.models import SexAge
from deertrack_core.review import Candidate, ReviewItem
from ui import images
from ui import state as K


def item_header(item: ReviewItem, remaining: int, threshold: float) -> None:
    when = item.captured_at.strftime("%Y-%m-%d %H:%M") if item.captured_at else "time unknown"
    frames = f"{len(item.crops)} frames" if len(item.crops) > 1 else "1 frame"
    score = f"{item.score:.3f}" if item.score is not None else "—"
    if item.deer_name:
        machine = f"machine says **{item.deer_name}** (score {score})"
    elif item.score is not None:
        machine = f"best score {score} is below the threshold {threshold:.3f}: your call"
    else:
        machine = "not matched yet"
    sex = f" · {item.sex_age}" if item.sex_age != "unknown" else ""
    st.markdown(
        f"**{item.station}** · {when} · {frames}{sex} · status **{item.status}** · {machine} · "
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


# (action, label, icon, key, help); "confirm" is disabled when the machine proposed no deer.
BUTTONS = (
    ("confirm", "Confirm", ":material/check:", "a", "The machine's deer is right (key A)"),
    ("new", "New deer", ":material/add:", "n", "A new individual, not seen before (key N)"),
    ("reject", "Not a deer", ":material/block:", "x", "A false detection (key X)"),
    ("skip", "Skip", ":material/skip_next:", "s", "Decide later (key S)"),
)
KEYS_HELP = (
    "Keys: A confirm (agree) · 1–5 pick a candidate · N new deer · X not a deer · S skip · U undo."
)


def action_buttons(item: ReviewItem) -> str | None:
    """The row of main actions; returns the one clicked."""
    clicked = None
    for col, (action, label, icon, key, help_) in zip(st.columns(4), BUTTONS, strict=True):
        if col.button(
            label,
            key=f"review_{action}",
            type="primary" if action == "confirm" else "secondary",
            icon=icon,
            shortcut=key,
            help=help_,
            disabled=action == "confirm" and item.deer_id is None,
            width="stretch",
        ):
            clicked = action
    return clicked


def more_actions(item: ReviewItem, deer_names: dict[int, str]) -> tuple[str, object] | None:
    """Any known deer, and the sex/age class; returns ("choose", deer id) or ("sex", class)."""
    with st.expander("Another deer, or sex/age class"):
        other = st.selectbox(
            "Any known deer",
            list(deer_names),
            format_func=deer_names.get,
            index=None,
            key=K.REVIEW_OTHER_DEER,
        )
        if st.button("Assign to this deer", key="review_assign_other", disabled=other is None):
            return "choose", other
        classes = [c.value for c in SexAge]
        sex = st.radio(
            "Sex/age class",
            classes,
            index=classes.index(item.sex_age) if item.sex_age in classes else 3,
            horizontal=True,
            key=f"{K.REVIEW_SEX_AGE}_{item.track_key}",
        )
        if st.button("Set sex/age", key="review_set_sex"):
            return "sex", sex
    return None


def whole_photo(item: ReviewItem) -> None:
    lead = item.crops[0]
    boxes = tuple(c.box for c in item.crops if c.path == lead.path)
    st.image(images.photo_jpeg(lead.path, boxes), caption=lead.path)

"""Drawing helpers of the review desk (kept out of the page so it stays short).

The compare view lives in :mod:`ui.compare`, the box editor in :mod:`ui.box_editor`; this
module draws the header, the decision buttons, the candidate cards and the keyboard help.
Other views of the desk (a species picker, the signed-in reviewer's role) slot in beside
:func:`decision_buttons` and :func:`more_actions`.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from deertrack_core import audit
from deertrack_core.boxes import PhotoBoxes
from deertrack_core.models import SexAge
from deertrack_core.review import ReviewItem, TrackRef
from ui import formats, images
from ui import state as K

MODES = {"compare": "Compare", "photo": "Whole photo", "boxes": "Correct boxes"}

# (action, label, icon, key, help); "confirm" is disabled when the machine proposed no deer.
BUTTONS = (
    ("confirm", "Confirm", ":material/check:", "a", "The machine's deer is right (key A)"),
    ("new", "New deer", ":material/add:", "n", "A new individual, not seen before (key N)"),
    (
        "not_target",
        "Not a deer",
        ":material/cruelty_free:",
        "d",
        "Another species: it leaves re-identification (key D)",
    ),  # fmt: skip
    ("reject", "False box", ":material/block:", "x", "No animal in the box (key X)"),
    ("skip", "Skip", ":material/skip_next:", "s", "Decide later (key S)"),
    ("undo", "Undo", ":material/undo:", "u", "Undo your last action (key U)"),
)
KEYS = (
    ("A", "confirm the machine's deer"),
    ("1 – 5", "this is candidate 1 – 5"),
    ("N", "a new deer, not seen before"),
    ("D", "not a deer (another species)"),
    ("X", "a false box (no animal)"),
    ("S", "skip: decide later"),
    ("U", "undo your last action"),
    ("↑ ↓", "compare with the previous / next candidate"),
    ("← →", "the candidate's previous / next picture"),
    ("Z", "zoom in (after 4× back to 1×)"),
    ("P / B / V", "whole photo / correct boxes / compare view"),
)
KEYS_HELP = "Keys: " + " · ".join(f"{k} {what.split(' (')[0]}" for k, what in KEYS[:7]) + "."


def seen_version(item: ReviewItem) -> TrackRef:
    """The version of ``item`` to act on: the one the reviewer saw (the previous run's), so that
    a change made by someone else in between surfaces as a conflict instead of being
    overwritten. A new track starts the comparison at its best candidate."""
    seen = st.session_state.get(K.REVIEW_SEEN)
    ref = seen[1] if seen and seen[0] == item.track_key else item.ref
    if not seen or seen[0] != item.track_key:
        st.session_state[K.REVIEW_CAND] = 0
    st.session_state[K.REVIEW_SEEN] = (item.track_key, item.ref)
    return ref


def item_header(item: ReviewItem, remaining: int, threshold: float) -> None:
    """Where and when, what the machine says, how much is left; and the keyboard help."""
    frames = f"{len(item.crops)} frames" if len(item.crops) > 1 else "1 frame"
    sex = f" · {item.sex_age}" if item.sex_age != "unknown" else ""
    machine = formats.machine_says(item.deer_name, item.score, threshold)
    head, keys = st.columns([6, 1], vertical_alignment="center")
    head.markdown(
        f"**{item.station}** · {formats.day_time(item.captured_at)} · {frames}{sex} · "
        f"status **{item.status}** · {machine} · {remaining:,} tracks in the queue"
    )
    with keys:
        keyboard_help()


def queue_done(skipped: list[int], act: Callable[..., None]) -> None:
    """Nothing left: say so, keep undo at hand, offer the skipped tracks again; stops the page."""
    st.success("Nothing left to review with these filters. Well done!", icon=":material/done_all:")
    if st.button("Undo last", key="review_undo", icon=":material/undo:", shortcut="u"):
        act(audit.undo_last, message="Undone.")
    if skipped and st.button("Show skipped tracks again", key="review_unskip"):
        skipped.clear()
        st.rerun()
    st.stop()


def keyboard_help() -> None:
    with st.popover("Keyboard", icon=":material/keyboard:"):
        st.markdown("\n".join(f"- **{k}**: {what}" for k, what in KEYS))


def decision_buttons(item: ReviewItem) -> str | None:
    """The row of decisions, across the page so every label shows; returns the one clicked."""
    clicked = None
    for col, (action, label, icon, key, help_) in zip(
        st.columns(len(BUTTONS)), BUTTONS, strict=True
    ):
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


def mode_switch() -> str:
    """Compare / whole photo / correct boxes, with their keys (V, P, B)."""
    mode = st.session_state.setdefault(K.REVIEW_MODE, "compare")
    cols = st.columns(len(MODES))
    for col, (name, label), key in zip(cols, MODES.items(), "vpb", strict=True):
        col.button(
            label, key=f"review_mode_{name}", shortcut=key, width="stretch",
            type="primary" if mode == name else "tertiary",
            on_click=st.session_state.update, args=({K.REVIEW_MODE: name},),
        )  # fmt: skip
    return mode


def candidate_cards(item: ReviewItem, comparing: int, threshold: float) -> int | None:
    """One card per candidate: best picture, name, score, Compare and This deer (key 1-5).
    Returns the index of the deer picked."""
    picked = None
    cols = st.columns(max(len(item.candidates), 3))
    for i, (col, c) in enumerate(zip(cols, item.candidates, strict=False)):
        with col.container(border=True):
            if c.exemplar is not None:
                st.image(images.view_jpeg(c.exemplar.path, c.exemplar.box, (240, 200)),
                         width="stretch")  # fmt: skip
            mark = " · machine's choice" if c.deer_id == item.deer_id else ""
            score = formats.score_and_threshold(c.score, threshold)[0]
            st.markdown(f"**{i + 1}. {c.name}**  \nscore **{score}** · {c.sex_age}{mark}")
            st.button(
                "Comparing" if i == comparing else "Compare", key=f"review_compare_{i}",
                disabled=i == comparing, width="stretch", icon=":material/compare:",
                on_click=st.session_state.update, args=({K.REVIEW_CAND: i},),
            )  # fmt: skip
            if st.button(
                "This deer", key=f"review_pick_{i}", shortcut=str(i + 1), width="stretch",
                help=f"Assign the track to {c.name} (key {i + 1})",
            ):  # fmt: skip
                picked = i
    return picked


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


def whole_photo(photo: PhotoBoxes, detection_id: int) -> None:
    """The whole photo, full width: this detection's box in amber, the photo's others in white."""
    ids = [b.detection_id for b in photo.boxes]
    st.image(
        images.photo_jpeg(
            photo.path, tuple(b.box for b in photo.boxes),
            highlight=ids.index(detection_id) if detection_id in ids else -1,
        ),
        caption=f"{photo.station} · {formats.day_time(photo.captured_at)} · {photo.path}",
        width="stretch",
    )  # fmt: skip
    others = [b for b in photo.boxes if b.detection_id != detection_id]
    if others:
        st.caption(
            "Other boxes (white): "
            + "; ".join(f"{b.category} {b.deer or b.status}" for b in others)
        )

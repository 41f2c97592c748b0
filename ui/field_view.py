"""The Import page's checks after photos are in: find animals with the configured detector,
suspected static boxes, implausible times, and the species per source (issue 8)."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from deertrack_core import settings
from deertrack_core.detect import repeats
from deertrack_core.ingest import plausible
from ui import actions, errors, images, jobs, readers, resources
from ui import state as K

act = partial(actions.run, notice=K.FIELD_NOTICE)
AMPM = "databar-ampm"
SHOWN_GROUPS = 12


def find_animals(state: dict) -> None:
    """The detector step: which detector, how many photos have no box, a button, progress."""
    st.subheader("Find animals")
    bare, total = state["bare"]
    name = settings.detector_name()
    if not name:
        st.info(
            "**No detector is configured**, so only boxes from a MegaDetector file are stored. "
            "To find animals here, set `DEERTRACK_DETECTOR=onnx:/path/to/model.onnx` (a "
            "YOLO-family model, e.g. MegaDetector exported to ONNX; see the README, 'Finding "
            "animals') where the dashboard and the worker run, and restart them.",
            icon=":material/info:",
        )
    else:
        todo = readers.detector_todo(resources.database_url(), name)
        left = (
            "its model file is missing"
            if todo is None
            else (f"{todo[0]:,} photos it has not looked at yet ({todo[1]:,} done before)")
        )
        st.markdown(f"Detector **`{name}`** (threshold {settings.detection_threshold():g}): "
                    f"{left}. {bare:,} of {total:,} photos have no box at all.")  # fmt: skip
        if st.button("Find animals", key="field_detect", icon=":material/search:",
                     type="primary", disabled=not (todo and todo[0])):  # fmt: skip
            with errors.shown():
                st.session_state[K.DETECT_JOB] = jobs.tasks().enqueue_detect(
                    detector=name, actor=resources.actor()
                )
    if job_id := st.session_state.get(K.DETECT_JOB):
        state_ = jobs.follow(job_id)
        if jobs.first_completion(state_):
            readers.clear_caches()  # the new boxes, groups and species
            st.rerun()
        if state_ is not None and state_.status == "completed":
            r = state_.result or {}
            st.caption(
                f"Looked at {r.get('photos', 0):,} photos: {r.get('boxes', 0):,} boxes, "
                f"{r.get('animals', 0):,} animals, {r.get('repeat_groups', 0)} groups of "
                "suspected static boxes."
            )


def static_boxes(state: dict) -> None:
    """Groups of boxes at one place on many photos of a camera: confirm or dismiss each."""
    groups = state["repeats"]
    st.subheader("Suspected static boxes")
    if not groups:
        st.caption("No box recurs at one place across a camera's photos.")
        return
    st.caption(
        f"{len(groups)} group{'s' if len(groups) > 1 else ''} of boxes recur at the same place on many photos of one camera "
        "(a stump, a rock?). Static: kept out of re-identification. Not static: a real animal."
    )
    for row in range(0, min(len(groups), SHOWN_GROUPS), 4):
        for col, g in zip(st.columns(4), groups[row : row + 4], strict=False):
            with col.container(border=True):
                if example := state["examples"].get(g.id):
                    st.image(images.crop_jpeg(example[0], example[1], 200), width="stretch")
                st.markdown(f"**{g.deployment}** · {g.photos} photos")
                if st.button("Static object", key=f"field_static_{g.id}", width="stretch",
                             icon=":material/block:", help="Keep these boxes out of re-ID"):  # fmt: skip
                    act(repeats.confirm_repeat, g.id, message=f"Group {g.id}: static object.")
                if st.button("Real animal", key=f"field_real_{g.id}", width="stretch",
                             icon=":material/pets:", help="Not static: an animal after all"):  # fmt: skip
                    act(repeats.unflag_repeat, g.id, message=f"Group {g.id}: a real animal.")
    if len(groups) > SHOWN_GROUPS:
        st.caption(f"…and {len(groups) - SHOWN_GROUPS} more (`deertrack repeats`).")


def implausible_times(state: dict) -> None:
    """Photos with an implausible time: the list, a bulk AM/PM confirm, and a time to set."""
    rows, problems = state["flagged"], state["problems"]
    st.subheader("Implausible times")
    if not rows:
        st.caption("Every photo's time is plausible.")
        return
    st.caption(
        "These photos are kept out of effort and activity until their time is corrected: "
        + "; ".join(f"{n:,} {p}" for p, n in sorted(problems.items(), key=lambda x: -x[1]))
    )
    st.dataframe(
        pd.DataFrame(rows)[["id", "station", "captured_at", "time_source", "time_problem", "path"]],
        hide_index=True, width="stretch", height=240,
        column_config={"captured_at": st.column_config.DatetimeColumn(
            "time", format="YYYY-MM-DD HH:mm:ss")},
    )  # fmt: skip
    unsure = [r["id"] for r in rows if r["time_source"] == AMPM]
    if unsure:
        st.markdown(f"**{len(unsure):,} data-bar times** could not tell AM from PM. Check one "
                    "photo's bar by eye, then confirm them all:")  # fmt: skip
        first = next(r for r in rows if r["time_source"] == AMPM)
        with st.expander(f"One of them: {first['path']}, read as {first['captured_at']:%H:%M}"):
            st.image(images.photo_jpeg(first["path"], (), max_side=960), width="stretch")
        a, b = st.columns(2)
        if a.button(f"Confirm {len(unsure):,} as read", key="field_ampm_confirm",
                    icon=":material/check:"):  # fmt: skip
            act(plausible.confirm_ampm, unsure, message=f"{len(unsure)} times confirmed.")
        if b.button("Confirm with AM and PM swapped", key="field_ampm_swap",
                    icon=":material/swap_horiz:"):  # fmt: skip
            act(plausible.confirm_ampm, unsure, flip=True,
                message=f"{len(unsure)} times confirmed, AM and PM swapped.")  # fmt: skip
    with st.form("field_set_time"):
        st.markdown("**Set one photo's time**")
        c = st.columns([2, 1, 1])
        photo = c[0].selectbox("Photo", [r["id"] for r in rows], key="field_time_photo",
                               format_func=lambda i: f"{i}: {_path(rows, i)}")  # fmt: skip
        day = c[1].date_input("Date", value=dt.date.today(), key="field_time_day")
        at = c[2].time_input("Time", value=dt.time(12, 0), step=60, key="field_time_at")
        if st.form_submit_button("Set the time", key="field_time_set"):
            when = dt.datetime.combine(day, at)
            act(
                plausible.set_photo_time,
                photo,
                when,
                message=f"Photo {photo}: {when:%Y-%m-%d %H:%M}.",
            )


def _path(rows: list[dict], image_id: int) -> str:
    return next((r["path"] for r in rows if r["id"] == image_id), "")


def species_panel(state: dict) -> None:
    """Animal detections per species and source; which ones the target-species gate lets in."""
    st.subheader("Species")
    gate = state["gate"]
    c = st.columns(3)
    c[0].metric("Target species", f"{gate['target']:,}", help=settings.target_species())
    c[1].metric("Other species", f"{gate['other']:,}", help="kept out of re-identification")
    c[2].metric("Species unknown", f"{gate['unknown']:,}", help="let through the gate")
    if state["species"]:
        df = pd.DataFrame(state["species"]).fillna("unknown")
        st.dataframe(df, hide_index=True, width="stretch",
                     column_config={"target": st.column_config.CheckboxColumn("enters re-ID")})  # fmt: skip

"""Individuals: the gallery of known deer; one deer's sightings, stations and edits."""

from functools import partial

import streamlit as st

from deertrack_core import individuals
from deertrack_core.deer import known_deer
from ui import actions, deer_view, login, readers, resources
from ui import state as K

url = resources.start_page("Individual deer")
edit = partial(actions.run, notice=K.DEER_NOTICE)
if notice := actions.pop_notice(K.DEER_NOTICE):
    st.toast(notice, icon=":material/check:")

selected = st.session_state.get(K.DEER_SELECTED)
if selected is None:
    search = st.text_input("Find a deer by name or tag", key=K.DEER_SEARCH)
    cards, total = readers.deer_gallery(url, search)
    st.caption(f"{total:,} individuals; the most sighted first. Open one to see its history.")
    if not cards:
        st.info("No individuals yet: they appear as detections are matched and reviewed.")
        st.page_link("screens/review.py", label="Review detections", icon=":material/fact_check:")
    deer_view.gallery(cards)
    st.stop()

with resources.session() as s:
    deer = individuals.get_deer(s, selected)
    rows = individuals.sightings(s, selected)
    table = individuals.stations(s, selected)
    others = {i: n for i, n in known_deer(s) if i != selected}

if st.button("Back to the gallery", key="deer_back", icon=":material/arrow_back:"):
    st.session_state.pop(K.DEER_SELECTED, None)
    st.rerun()
st.header(f"{deer.name} · {deer.sex_age}")
st.caption(f"{deer_view.plural(len(rows), 'sighting')} at {deer_view.plural(len(table), 'camera')}")
deer_view.timeline(rows)
left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader("Cameras")
    deer_view.stations(table)
with right:
    st.subheader("Latest sightings")
    deer_view.strip(rows)

if not login.may("reviewer"):
    st.stop()  # a viewer reads; editing needs a reviewer (the core checks it too)
st.subheader("Edit")
a, b = st.columns(2, gap="large")
with a:
    name = st.text_input("Name or tag", value=deer.name, key=f"{K.DEER_RENAME}_{selected}")
    if st.button("Rename", key="deer_rename_btn"):
        edit(individuals.rename, selected, name, message=f"Renamed to {name}.")
    notes = st.text_area("Notes", value=deer.notes, key=f"{K.DEER_NOTES}_{selected}")
    if st.button("Save notes", key="deer_notes_btn"):
        edit(individuals.set_notes, selected, notes, message="Notes saved.")
with b:
    merge = st.selectbox(
        "Merge another deer into this one",
        list(others),
        format_func=others.get,
        index=None,
        key=K.DEER_MERGE_WITH,
    )
    if st.button(
        "Merge",
        key="deer_merge_btn",
        disabled=merge is None,
        help="Its sightings move here; it is kept in the audit trail",
    ):
        edit(
            individuals.merge,
            selected,
            merge,
            message=f"Merged {others.get(merge)} into {deer.name}.",
        )
    labels = {r.detection_id: deer_view.sighting_label(r) for r in rows}
    move = st.selectbox(
        "Move a wrong detection out", list(labels), format_func=labels.get, index=None,
        key=K.DEER_MOVE_DETECTION,
    )  # fmt: skip
    targets = {"queue": "back to the review queue", "new": "a new individual"} | {
        str(i): n for i, n in others.items()
    }
    target = st.selectbox("…to", list(targets), format_func=targets.get, key=K.DEER_MOVE_TARGET)
    if st.button("Move out", key="deer_move_btn", disabled=move is None):
        to = None if target == "queue" else target if target == "new" else int(target)
        edit(individuals.move_out, move, to=to, message=f"Detection {move} moved out.")

st.subheader("Split")
deer_view.split(selected, deer.name, rows, edit)

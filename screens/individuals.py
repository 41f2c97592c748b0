"""Individuals: the gallery of known deer; one deer's sightings, stations and edits."""

from functools import partial

import streamlit as st

from deertrack_core import individuals
from deertrack_core.deer import known_deer
from ui import actions, deer_view, login, readers, resources, scope
from ui import state as K

url = resources.start_page("Individual deer")
edit = partial(actions.run, notice=K.DEER_NOTICE)
if notice := actions.pop_notice(K.DEER_NOTICE):
    st.toast(notice, icon=":material/check:")

selected = st.session_state.get(K.DEER_SELECTED)
if selected is None:
    a, b = st.columns([3, 2])
    search = a.text_input("Find a deer by name or tag", key=K.DEER_SEARCH)
    only = scope.toggle("individuals", b)
    cards, total = readers.deer_gallery(url, search)
    tallies = readers.deer_tallies(url)
    if only:  # deer a reviewer has identified at least once
        cards = [c for c in cards if tallies.get(c.deer_id, {}).get("confirmed")]
        total = sum(1 for t in tallies.values() if t.get("confirmed"))
    st.caption(f"{total:,} individuals; the most sighted first. Counted {scope.label(only)}; "
               "each card says who identified its sightings. Open one to see its history.")  # fmt: skip
    if not cards:
        st.info("No individuals yet: they appear as detections are matched and reviewed.")
        st.page_link("screens/review.py", label="Review detections", icon=":material/fact_check:")
    deer_view.gallery(cards, tallies=tallies)
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
only = scope.toggle("deer")
shown = [r for r, p in zip(rows, deer_view.provenance_of(rows), strict=True)
         if not only or p == "confirmed"]  # fmt: skip
st.caption(f"{deer_view.plural(len(rows), 'sighting')} at {deer_view.plural(len(table), 'camera')}"
           f"; identified: {deer_view.tally_text(deer_view.tally(rows))}. Shown: "
           f"{'confirmed sightings only' if only else 'every sighting, coloured by who identified it'}.")  # fmt: skip
deer_view.timeline(shown)
left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader("Cameras")
    deer_view.stations(table)
    deer_view.station_map(readers.stations(url, only, selected), deer.name)
with right:
    st.subheader("Latest sightings")
    deer_view.strip(rows)

if not login.may("reviewer"):
    st.stop()  # a viewer reads; editing needs a reviewer (the core checks it too)
deer_view.edit_panel(selected, deer, rows, others, edit)

st.subheader("Split")
deer_view.split(selected, deer.name, rows, edit)

"""Review: one track at a time, most uncertain first; confirm, correct, or reject."""

from functools import partial

import streamlit as st

from deertrack_core import audit, deer, review, stats
from deertrack_core.reid.active import active_threshold
from ui import actions, resources, review_view
from ui import state as K

url = resources.start_page("Review detections")
user = resources.user()

with resources.session() as s:
    model, threshold = active_threshold(s)
    cameras = dict(stats.deployments(s))

with st.sidebar:
    st.header("Queue")
    status = st.selectbox("Status", list(review.STATUS_FILTERS), key=K.REVIEW_STATUS)
    picked = st.multiselect("Cameras", list(cameras), format_func=cameras.get, key=K.REVIEW_CAMERAS)
    dates = st.date_input("Dates", value=(), key=K.REVIEW_DATES)
    st.caption(f"Most uncertain first: score nearest the threshold {threshold:.3f}.")
start, end = (tuple(dates) + (None, None))[:2] if isinstance(dates, tuple) else (dates, None)
flt = review.QueueFilter(status, tuple(picked), start, end or start)
skipped = st.session_state.setdefault(K.REVIEW_SKIPPED, [])

act = partial(actions.run, notice=K.REVIEW_NOTICE)  # on success: the next track comes up
if notice := actions.pop_notice(K.REVIEW_NOTICE):
    st.toast(notice, icon=":material/check:")

with resources.session() as s:
    total = review.queue_size(s, flt)
    entries = [
        e
        for e in review.queue(s, threshold, flt, limit=len(skipped) + 1)
        if e.track_key not in skipped
    ]
    item = review.load_item(s, entries[0].track_key) if entries else None
    deer_names = dict(deer.known_deer(s))

undo_col = st.columns([6, 1])[1]
if undo_col.button("Undo last", key="review_undo", icon=":material/undo:", shortcut="u"):
    act(audit.undo_last, message="Undone.")

if item is None:
    st.success("Nothing left to review with these filters. Well done!", icon=":material/done_all:")
    if skipped and st.button("Show skipped tracks again", key="review_unskip"):
        skipped.clear()
        st.rerun()
    st.stop()

# Act on what the reviewer saw (the previous run's versions): a change made by someone else in
# between surfaces as a conflict instead of being overwritten.
seen = st.session_state.get(K.REVIEW_SEEN)
ref = seen[1] if seen and seen[0] == item.track_key else item.ref
st.session_state[K.REVIEW_SEEN] = (item.track_key, item.ref)
review_view.item_header(item, total, threshold)
left, right = st.columns([2, 3], gap="large")
with left:
    review_view.crops(item)
    if st.toggle("Show the whole photo", key=K.REVIEW_PHOTO):
        review_view.whole_photo(item)
with right:
    clicked = review_view.action_buttons(item)
    if clicked == "confirm":
        act(review.confirm, ref, message=f"Confirmed {item.deer_name}.")
    elif clicked == "new":
        act(review.new_individual, ref, message="New individual created.")
    elif clicked == "reject":
        act(review.reject, ref, message="Marked as not a deer.")
    elif clicked == "skip":
        skipped.append(item.track_key)
        st.rerun()
    st.subheader("Candidates")
    if not item.candidates:
        st.caption("No candidates: nothing to compare with yet (the first deer of the archive).")
    for i, cand in enumerate(item.candidates):
        if review_view.candidate_row(i, cand, item.deer_id):
            act(review.choose, ref, cand.deer_id, message=f"Assigned to {cand.name}.")
    more = review_view.more_actions(item, deer_names)
    if more and more[0] == "choose":
        act(review.choose, ref, more[1], message=f"Assigned to {deer_names.get(more[1])}.")
    elif more:
        act(review.set_sex_age, ref, more[1], message=f"Set to {more[1]}.")
st.caption(f"{review_view.KEYS_HELP} Reviewing as {user}; threshold {threshold:.3f} ({model}).")

"""Review: one track at a time, most uncertain first; compare, correct boxes, decide."""

from functools import partial

import streamlit as st

from deertrack_core import audit, boxes, deer, review, stats
from deertrack_core.reid.active import active_threshold
from ui import actions, box_editor, compare, resources, review_species, review_view
from ui import state as K

url = resources.start_page("Review detections", role="reviewer")
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

if item is None:
    review_view.queue_done(skipped, act)

ref = review_view.seen_version(item)
frame_key, picture_key = (
    f"{K.REVIEW_FRAME}_{item.track_key}",
    f"{K.REVIEW_PICTURE}_{item.track_key}",
)

review_view.item_header(item, total, threshold)
clicked = review_view.decision_buttons(item)
if clicked == "confirm":
    act(review.confirm, ref, message=f"Confirmed {item.deer_name}.")
elif clicked == "new":
    act(review.new_individual, ref, message="New individual created.")
elif clicked == "reject":
    act(review.reject, ref, message="Marked as a false box (no animal).")
elif clicked == "not_target":
    review_species.not_target(ref, act)
elif clicked == "undo":
    act(audit.undo_last, message="Undone.")
elif clicked == "skip":
    skipped.append(item.track_key)
    st.rerun()

mode = review_view.mode_switch()
frame = item.crops[compare.chosen(frame_key, len(item.crops), item.crops.index(item.lead))]
if mode == "compare":
    zoom, focus = compare.controls()
    compare.pair(item, frame_key, picture_key, zoom, focus)
else:
    with resources.session() as s:
        photo = boxes.photo_boxes(s, boxes.image_of(s, frame.detection_id))
    if mode == "photo":
        review_view.whole_photo(photo, frame.detection_id)
    else:
        box_editor.editor(photo, frame.detection_id, act)

title, steps = st.columns([3, 2], vertical_alignment="bottom")
title.subheader("Candidates")
if len(item.candidates) > 1:
    with steps:
        compare.candidate_steps(len(item.candidates))
comparing = compare.chosen(K.REVIEW_CAND, len(item.candidates))
if (pick := review_view.candidate_cards(item, comparing, threshold)) is not None:
    cand = item.candidates[pick]
    act(review.choose, ref, cand.deer_id, message=f"Assigned to {cand.name}.")
review_species.sex_age_suggestion(url, model, item, ref, act)
review_species.species_picker(item, ref, act)
more = review_view.more_actions(item, deer_names)
if more and more[0] == "choose":
    act(review.choose, ref, more[1], message=f"Assigned to {deer_names.get(more[1])}.")
elif more:
    act(review.set_sex_age, ref, more[1], message=f"Set to {more[1]}.")
st.caption(f"{review_view.KEYS_HELP} Reviewing as {user}; threshold {threshold:.3f} ({model}).")

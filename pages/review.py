"""Review: one track at a time, most uncertain first; confirm, correct, or reject."""

import datetime as dt

import streamlit as st

from deertrack_core import review, stats
from deertrack_core.models import SexAge
from ui import errors, resources, review_view
from ui import state as K

url = resources.start_page("Review detections")
user = resources.user()

with resources.session() as s:
    try:
        from deertrack_core.reid.matching import active_threshold

        model, threshold = active_threshold(s)
    except ImportError:
        model, threshold = "", 0.85
    cameras = dict(stats.deployments(s))

with st.sidebar:
    st.header("Queue")
    status = st.selectbox("Status", list(review.STATUS_FILTERS), key=K.REVIEW_STATUS)
    picked = st.multiselect("Cameras", list(cameras), format_func=cameras.get, key=K.REVIEW_CAMERAS)
    dates = st.date_input("Dates", value=(), key=K.REVIEW_DATES)
    st.caption(f"Most uncertain first: score nearest the threshold {threshold:.2f}.")
start, end = (tuple(dates) + (None, None))[:2] if isinstance(dates, tuple) else (dates, None)
flt = review.QueueFilter(status, tuple(picked), start, end or start)
skipped = st.session_state.setdefault(K.REVIEW_SKIPPED, [])

if notice := st.session_state.pop(K.REVIEW_NOTICE, None):
    st.toast(notice, icon=":material/check:")


def act(fn, *args, message: str, **kw) -> None:
    """Run one review action in its own transaction; on success move to the next track."""
    with errors.shown():
        with resources.session() as s:
            fn(s, *args, user=user, **kw)
        resources.clear_caches()
        st.session_state[K.REVIEW_NOTICE] = message
        st.rerun()


with resources.session() as s:
    total = review.queue_size(s, flt)
    entries = [
        e
        for e in review.queue(s, threshold, flt, limit=len(skipped) + 1)
        if e.track_key not in skipped
    ]
    item = review.load_item(s, entries[0].track_key) if entries else None
    deer_names = dict(review.known_deer(s))

undo_col = st.columns([6, 1])[1]
if undo_col.button("Undo last", key="review_undo", icon=":material/undo:", shortcut="u"):
    act(review.undo_last, message="Undone.")

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
        from ui import images

        lead = item.crops[0]
        st.image(
            images.photo_jpeg(lead.path, tuple(c.box for c in item.crops if c.path == lead.path))
        )
with right:
    b = st.columns(4)
    if b[0].button(
        "Confirm",
        key="review_confirm",
        type="primary",
        icon=":material/check:",
        shortcut="a",
        disabled=item.deer_id is None,
        help="The machine's deer is right (key A)",
        width="stretch",
    ):
        act(review.confirm, ref, message=f"Confirmed {item.deer_name}.")
    if b[1].button(
        "New deer",
        key="review_new",
        icon=":material/add:",
        shortcut="n",
        help="A new individual, not seen before (key N)",
        width="stretch",
    ):
        act(review.new_individual, ref, message="New individual created.")
    if b[2].button(
        "Not a deer",
        key="review_reject",
        icon=":material/block:",
        shortcut="x",
        help="A false detection (key X)",
        width="stretch",
    ):
        act(review.reject, ref, message="Marked as not a deer.")
    if b[3].button(
        "Skip",
        key="review_skip",
        icon=":material/skip_next:",
        shortcut="s",
        help="Decide later (key S)",
        width="stretch",
    ):
        skipped.append(item.track_key)
        st.rerun()
    st.subheader("Candidates")
    if not item.candidates:
        st.caption("No candidates: nothing to compare with yet (the first deer of the archive).")
    for i, cand in enumerate(item.candidates):
        if review_view.candidate_row(i, cand, item.deer_id):
            act(review.choose, ref, cand.deer_id, message=f"Assigned to {cand.name}.")
    with st.expander("Another deer, or sex/age class"):
        other = st.selectbox(
            "Any known deer",
            list(deer_names),
            format_func=deer_names.get,
            index=None,
            key=K.REVIEW_OTHER_DEER,
        )
        if st.button("Assign to this deer", key="review_assign_other", disabled=other is None):
            act(review.choose, ref, other, message=f"Assigned to {deer_names.get(other)}.")
        classes = [c.value for c in SexAge]
        sex = st.radio(
            "Sex/age class",
            classes,
            index=classes.index(item.sex_age),
            horizontal=True,
            key=f"{K.REVIEW_SEX_AGE}_{item.track_key}",
        )
        if st.button("Set sex/age", key="review_set_sex"):
            act(review.set_sex_age, ref, sex, message=f"Set to {sex}.")
st.caption(
    f"Keys: A confirm (agree) · 1–5 pick a candidate · N new · X not a deer · S skip · U undo. Reviewing as {user}; threshold {threshold:.2f} ({model or 'default model'}). {dt.date.today():%d %b %Y}"
)

"""Jobs: whether a worker is there, what the workers are doing, what failed and why."""

import streamlit as st

from ui import errors, jobs, login, resources
from ui import state as K

url = resources.start_page(
    "Background jobs",
    "Imports, matching, backfills and exports run in a worker (`deertrack worker`).",
)

if notice := st.session_state.pop(K.JOBS_NOTICE, None):
    st.success(notice, icon=":material/check_circle:")

# (kind, title, what it does, how to enqueue it)
STARTERS = (
    ("backfill", "Backfill similarity scores",
     "Score every detection against every deer (resumable), so histograms and ROC cover the "
     "whole archive.", lambda: jobs.tasks().enqueue_backfill()),
    ("rematch", "Match pending detections",
     "Re-identify detections without a deer at the active threshold.",
     lambda: jobs.tasks().enqueue_rematch()),
)  # fmt: skip

if not login.may("admin"):
    STARTERS = ()  # starting a backfill or matching needs an admin (the core checks it too)
*starters, side = st.columns([1] * len(STARTERS) + [1])
for col, (kind, title, what, enqueue) in zip(starters, STARTERS, strict=True):
    with col:
        st.markdown(f"**{title}**  \n{what}")
        if st.button(f"Start: {title.lower()}", key=f"jobs_{kind}", icon=":material/play_arrow:"):
            with errors.shown():
                st.session_state[K.JOBS_NOTICE] = f"{title}: job {enqueue()[:8]} queued."
                st.rerun()
with side:
    jobs.queue_status()


@st.fragment(run_every=2.0)
def listing() -> None:
    jobs.workers_line()
    states = jobs.recent(30)
    running = [s for s in states if s.status not in jobs.FINAL]
    st.subheader(f"Running and queued ({len(running)})")
    for s in running:
        st.progress(jobs.fraction(s), text=f"{s.kind} {s.id[:8]} — {jobs.label(s)}")
    if not running:
        st.caption("Nothing running.")
    st.subheader("Recent jobs")
    if not states:
        st.caption("No jobs yet.")
        return
    jobs.table_view(states)
    for s in [s for s in states if s.status == "failed"][:5]:
        st.error(f"**{s.kind} {s.id[:8]} failed:** {s.error or s.message}", icon=":material/error:")


listing()

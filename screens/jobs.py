"""Jobs: what the background workers are doing, what failed and why; start a backfill."""

import pandas as pd
import streamlit as st

from deertrack_core.errors import DeertrackError
from ui import errors, jobs, resources
from ui import state as K

url = resources.start_page(
    "Background jobs",
    "Imports, matching, backfills and exports run in a worker (`deertrack worker`).",
)

if notice := st.session_state.pop(K.JOBS_NOTICE, None):
    st.success(notice, icon=":material/check_circle:")

a, b, c = st.columns(3)
with a:
    st.markdown(
        "**Backfill similarity scores**  \nScore every detection against every deer (resumable), so histograms and ROC cover the whole archive."
    )
    if st.button("Start a backfill", key="jobs_backfill", icon=":material/play_arrow:"):
        with errors.shown():
            st.session_state[K.JOBS_NOTICE] = (
                f"Backfill job {jobs.tasks().enqueue_backfill()[:8]} queued."
            )
            st.rerun()
with b:
    st.markdown(
        "**Match pending detections**  \nRe-identify detections without a deer at the active threshold."
    )
    if st.button("Start matching", key="jobs_rematch", icon=":material/play_arrow:"):
        with errors.shown():
            st.session_state[K.JOBS_NOTICE] = (
                f"Matching job {jobs.tasks().enqueue_rematch()[:8]} queued."
            )
            st.rerun()
with c:
    try:
        waiting = jobs.tasks().queue_length()
        st.metric("Tasks waiting for a worker", waiting)
    except (DeertrackError, Exception):  # noqa: BLE001 - an unreachable queue is shown, not raised
        st.metric("Tasks waiting for a worker", "?")
        st.caption("The job queue cannot be reached.")


@st.fragment(run_every=2.0)
def listing() -> None:
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
    st.dataframe(
        pd.DataFrame(jobs.table(states)),
        hide_index=True,
        column_config={"progress": jobs.PROGRESS_COLUMN},
    )
    for s in [s for s in states if s.status == "failed"][:5]:
        st.error(f"**{s.kind} {s.id[:8]} failed:** {s.error or s.message}", icon=":material/error:")


listing()

"""Exports: a validated report request becomes a background job; download the file when done."""

import streamlit as st

from deertrack_core import stats
from deertrack_core.errors import DeertrackError, ValidationError
from deertrack_core.reports.request import REPORT_TYPES
from ui import errors, export_form, jobs, readers, resources
from ui import state as K

url = resources.start_page(
    "Exports",
    "Reports as PDF, CSV or a Camtrap DP package, capture histories for secr, MARK and "
    "camtrapR, and the logged similarity scores, built in the background.",
)

with resources.session() as s:
    cameras = dict(stats.deployments(s))
runs = readers.score_runs(url)

report = st.selectbox(
    "Report", REPORT_TYPES, format_func=lambda r: export_form.LABELS.get(r, r), key="export_report"
)
if about := export_form.ABOUT.get(report):
    st.caption(about)
with st.form("export_form"):
    data, err = export_form.fields(report, cameras, runs)
    submitted = st.form_submit_button(
        "Build report", type="primary", icon=":material/play_arrow:", key="export_submit"
    )

if submitted:
    try:
        st.session_state[K.EXPORT_JOB] = jobs.tasks().enqueue_export(data)
    except ValidationError as exc:
        for field, message in exc.problems.items():
            err.get(field, err["report_type"]).error(message, icon=":material/edit_note:")
    except DeertrackError as exc:
        errors.show(exc)

if job_id := st.session_state.get(K.EXPORT_JOB):
    st.subheader("This export")
    state = jobs.follow(job_id)
    if state is not None and state.status == "completed":
        jobs.download(state, key="export_download")

st.subheader("Recent exports")
recent = jobs.recent(10, kind="export")
if not recent:
    st.caption("No exports yet.")
else:
    jobs.table_view(recent)
    done = [j for j in recent if j.status == "completed" and j.id != job_id][:3]
    for j in done:
        jobs.download(j, key=f"export_download_{j.id}")

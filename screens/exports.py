"""Exports: a validated report request becomes a background job; download the file when done."""

import datetime as dt

import streamlit as st

from deertrack_core import stats
from deertrack_core.errors import DeertrackError, ValidationError
from deertrack_core.reports.request import GROUP_BY, REPORT_TYPES
from ui import errors, jobs, resources
from ui import state as K

url = resources.start_page(
    "Exports", "Reports as PDF, CSV or a Camtrap DP package, built in the background."
)

LABELS = {
    "seasonal_activity": "Seasonal activity (PDF)",
    "individual_history": "Individual histories (PDF)",
    "camera_summary": "Camera summary (PDF)",
    "detections_csv": "Detections table (CSV)",
    "record_table_csv": "Record table, camtrapR style (CSV)",
    "camtrap_dp": "Camtrap DP 1.0 package (ZIP)",
}
with resources.session() as s:
    cameras = dict(stats.deployments(s))

with st.form("export_form"):
    report = st.selectbox(
        "Report", REPORT_TYPES, format_func=lambda r: LABELS.get(r, r), key="export_report"
    )
    err = {"report_type": st.empty()}
    a, b, c = st.columns(3)
    start = a.date_input("From (blank: first photo)", value=None, key="export_start")
    err["start_date"] = a.empty()
    end = b.date_input("To (blank: last photo)", value=None, key="export_end")
    err["end_date"] = b.empty()
    group = c.selectbox("Group by", GROUP_BY, index=GROUP_BY.index("week"), key="export_group")
    err["group_by"] = c.empty()
    picked = st.multiselect(
        "Cameras (blank: all)", list(cameras), format_func=cameras.get, key="export_cameras"
    )
    err["deployments"] = st.empty()
    minutes = st.number_input(
        "Independence interval (minutes)", value=30.0, step=5.0, key="export_minutes"
    )
    err["independence_minutes"] = st.empty()
    submitted = st.form_submit_button(
        "Build report", type="primary", icon=":material/play_arrow:", key="export_submit"
    )

if submitted:
    data = {
        "report_type": report,
        "start_date": start.isoformat() if isinstance(start, dt.date) else None,
        "end_date": end.isoformat() if isinstance(end, dt.date) else None,
        "group_by": group,
        "deployments": list(picked),
        "independence_minutes": minutes,
    }
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

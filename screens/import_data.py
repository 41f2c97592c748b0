"""Import: photos from a server folder or an uploaded zip, plus a MegaDetector file, as a job."""

import streamlit as st

from ui import actions, demo_removal, errors, field_view, import_view, jobs, readers, resources
from ui import state as K

url = resources.start_page(
    "Import photos",
    "Photos are read (time, camera, burst), stored once (re-importing is harmless), and the "
    "MegaDetector boxes attached. Runs in the background.",
    role="admin",
)
for key in (K.DEMO_NOTICE, K.FIELD_NOTICE):
    if notice := actions.pop_notice(key):
        st.success(notice, icon=":material/check_circle:")

with errors.shown():
    request = import_view.form()
    if request is not None:
        st.session_state[K.IMPORT_JOB] = jobs.tasks().enqueue_ingest(
            request.folder,
            request.md_json,
            layout=request.layout,
            deployments_csv=request.deployments_csv,
        )

if job_id := st.session_state.get(K.IMPORT_JOB):
    st.subheader("This import")
    state = jobs.follow(job_id)
    if state is not None and state.status == "completed":
        import_view.results(state.result or {})
        st.page_link(
            "screens/review.py", label="Review the new detections", icon=":material/fact_check:"
        )
        demo_removal.removal(url, after_import=True)

st.subheader("Recent imports")
import_view.recent()

field = readers.field_state(url)
field_view.find_animals(field)
field_view.static_boxes(field)
field_view.implausible_times(field)
field_view.species_panel(field)

if not st.session_state.get(K.IMPORT_JOB):
    demo_removal.removal(url)

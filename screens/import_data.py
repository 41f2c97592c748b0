"""Import: photos from a server folder or an uploaded zip, plus a MegaDetector file, as a job."""

from pathlib import Path

import pandas as pd
import streamlit as st

from deertrack_core.errors import IngestError
from ui import errors, jobs, resources, uploads
from ui import state as K

url = resources.start_page(
    "Import photos",
    "Photos are read (time, camera, burst), stored once (re-importing is harmless), and the "
    "MegaDetector boxes attached. Runs in the background.",
)

source = st.radio(
    "Photos from",
    ["A folder on the server", "An uploaded zip"],
    horizontal=True,
    key="import_source",
)
with st.form("import_form"):
    if source == "A folder on the server":
        folder = st.text_input(
            "Folder", placeholder="/data/cameras/2025-autumn", key=K.IMPORT_FOLDER
        )
        md_path = st.text_input("MegaDetector JSON on the server (optional)", key=K.IMPORT_MD)
        zipped = md_upload = None
    else:
        zipped = st.file_uploader("Zip of the photo folder", type=["zip"], key="import_zip")
        md_upload = st.file_uploader(
            "MegaDetector JSON (optional)", type=["json"], key="import_md_upload"
        )
        folder = md_path = ""
    go = st.form_submit_button(
        "Import", type="primary", icon=":material/upload:", key="import_submit"
    )

if go:
    with errors.shown():
        if zipped is not None:
            target = uploads.upload_dir()
            n = uploads.extract_zip(zipped, target)
            st.caption(f"Unpacked {n:,} files into {target}.")
            folder = str(target)
            if md_upload is not None:
                md_path = str(uploads.save_file(md_upload.getvalue(), target, md_upload.name))
        if not folder or not Path(folder).is_dir():
            raise IngestError(
                f"There is no folder {folder!r} on the server."
                if folder
                else "No photos were given.",
                "Type the path of a folder the server can read, or upload a zip.",
            )
        if md_path and not Path(md_path).is_file():
            raise IngestError(
                f"There is no file {md_path!r} on the server.", "Check the path, or leave it blank."
            )
        st.session_state[K.IMPORT_JOB] = jobs.tasks().enqueue_ingest(folder, md_path or None)

if job_id := st.session_state.get(K.IMPORT_JOB):
    st.subheader("This import")
    state = jobs.follow(job_id)
    if state is not None and state.status == "completed":
        result = state.result or {}
        ing, det = result.get("ingest") or {}, result.get("detections") or {}
        c = st.columns(4)
        c[0].metric("Photos stored", ing.get("ingested", 0))
        c[1].metric("Already known", ing.get("duplicates", 0))
        c[2].metric("Without a time", ing.get("untimed", 0))
        c[3].metric("Detections stored", det.get("detections_stored", 0))
        rows = uploads.problems(result)
        if rows:
            st.warning(f"{len(rows)} files had problems:", icon=":material/warning:")
            st.dataframe(pd.DataFrame(rows), hide_index=True)
        else:
            st.caption("No file had a problem.")
        st.page_link(
            "screens/review.py", label="Review the new detections", icon=":material/fact_check:"
        )

st.subheader("Recent imports")
recent = jobs.recent(5, kind="ingest")
if recent:
    st.dataframe(
        pd.DataFrame(jobs.table(recent)),
        hide_index=True,
        column_config={"progress": jobs.PROGRESS_COLUMN},
    )
else:
    st.caption("No imports yet.")

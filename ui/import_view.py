"""The import form: photos from a server folder or an uploaded zip, how its folders read
(the same layouts and deployments CSV as ``deertrack ingest``), and a MegaDetector file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from deertrack_core.errors import IngestError
from ui import jobs, uploads
from ui import state as K

LAYOUT_HELP = {
    "auto": "auto: the nearest folder is the station",
    "station": "Station/photo",
    "station/camera": "Station/Camera/photo",
    "station/species": "Station/Species/photo",
    "station/camera/species": "Station/Camera/Species/photo",
    "other": "another pattern…",
}
LAYOUT_TIP = (
    "As `deertrack ingest --layout`. auto: the nearest folder names the station, skipping card "
    "folders (DCIM, 100RECNX) and date folders; camtrapR file names name their own station. "
    "Another pattern: levels of station, camera, species; '*' skips a folder (*/station). "
    "A deployments CSV overrides the layout."
)


@dataclass(frozen=True)
class ImportRequest:
    folder: str
    md_json: str | None
    layout: str
    deployments_csv: str | None


def form() -> ImportRequest | None:
    """The form; returns the checked request when submitted (errors are shown, not raised)."""
    source = st.radio("Photos from", ["A folder on the server", "An uploaded zip"],
                      horizontal=True, key="import_source")  # fmt: skip
    with st.form("import_form"):
        if source == "A folder on the server":
            folder = st.text_input("Folder", placeholder="/data/cameras/2025-autumn",
                                   key=K.IMPORT_FOLDER)  # fmt: skip
            md_path = st.text_input("MegaDetector JSON on the server (optional)", key=K.IMPORT_MD)
            csv_path = st.text_input("Deployments CSV on the server (optional; overrides the "
                                     "layout)", key=K.IMPORT_DEPLOYMENTS)  # fmt: skip
            zipped = md_upload = csv_upload = None
        else:
            zipped = st.file_uploader("Zip of the photo folder", type=["zip"], key="import_zip")
            md_upload = st.file_uploader("MegaDetector JSON (optional)", type=["json"],
                                         key="import_md_upload")  # fmt: skip
            csv_upload = st.file_uploader("Deployments CSV (optional; overrides the layout)",
                                          type=["csv"], key="import_csv_upload")  # fmt: skip
            folder = md_path = csv_path = ""
        a, b = st.columns([2, 1])
        choice = a.selectbox("Folder layout: what the folders below it are", list(LAYOUT_HELP),
                             format_func=LAYOUT_HELP.get, key=K.IMPORT_LAYOUT,
                             help=LAYOUT_TIP)  # fmt: skip
        custom = b.text_input("Pattern (for another)", placeholder="*/station/camera",
                              key="import_layout_custom")  # fmt: skip
        go = st.form_submit_button("Import", type="primary", icon=":material/upload:",
                                   key="import_submit")  # fmt: skip
    if not go:
        return None
    with st.spinner("Checking…"):
        if zipped is not None:
            target = uploads.upload_dir()
            n = uploads.extract_zip(zipped, target)
            st.caption(f"Unpacked {n:,} files into {target}.")
            folder = str(target)
            for upload, name in ((md_upload, "md"), (csv_upload, "csv")):
                if upload is not None:
                    saved = str(uploads.save_file(upload.getvalue(), target, upload.name))
                    md_path, csv_path = (saved, csv_path) if name == "md" else (md_path, saved)
    if not folder or not Path(folder).is_dir():
        raise IngestError(
            f"There is no folder {folder!r} on the server." if folder else "No photos were given.",
            "Type the path of a folder the server can read, or upload a zip.",
        )
    for path, what in ((md_path, "MegaDetector JSON"), (csv_path, "deployments CSV")):
        if path and not Path(path).is_file():
            raise IngestError(f"There is no {what} {path!r} on the server.",
                              "Check the path, or leave it blank.")  # fmt: skip
    layout = custom.strip() if choice == "other" else choice
    return ImportRequest(folder, md_path or None, layout or "auto", csv_path or None)


def results(result: dict) -> None:
    """What a finished import stored, and the files it could not use."""
    ing, det = result.get("ingest") or {}, result.get("detections") or {}
    c = st.columns(5)
    c[0].metric("Photos stored", ing.get("ingested", 0))
    c[1].metric("Already known", ing.get("duplicates", 0))
    c[2].metric("Without a time", ing.get("untimed", 0))
    c[3].metric("New cameras", ing.get("deployments_created", 0))
    c[4].metric("Detections stored", det.get("detections_stored", 0))
    rows = uploads.problems(result)
    if rows:
        st.warning(f"{len(rows)} files had problems:", icon=":material/warning:")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"file": st.column_config.TextColumn(width="large")})  # fmt: skip
    else:
        st.caption("No file had a problem.")


def recent() -> None:
    states = jobs.recent(5, kind="ingest")
    if not states:
        st.caption("No imports yet.")
        return
    jobs.table_view(states)

"""The Exports form: which parameters each export type takes, and their widgets."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from deertrack_core.reports.request import GROUP_BY
from ui import scope
from ui import state as K

LABELS = {
    "seasonal_activity": "Seasonal activity (PDF)",
    "individual_history": "Individual histories (PDF)",
    "camera_summary": "Camera summary (PDF)",
    "detections_csv": "Detections table (CSV)",
    "record_table_csv": "Record table, camtrapR style (CSV)",
    "camtrap_dp": "Camtrap DP 1.0 package (ZIP)",
    "secr_capthist": "Capture history for secr: capthist + traps (ZIP)",
    "mark_inp": "Capture history for MARK / RMark (.inp)",
    "detection_history": "Detection-history matrix, camtrapR style (ZIP)",
    "scores_csv": "Similarity scores (CSV)",
    "scores_parquet": "Similarity scores (Parquet)",
    "megadetector_json": "Detections as a MegaDetector batch file (JSON)",
}
#: What each export type reads besides dates and cameras.
PDF = ("group_by", "independence_minutes", "confirmed_only")
HISTORY = ("group_by", "confirmed_only")
PARAMS: dict[str, tuple[str, ...]] = {
    "seasonal_activity": PDF,
    "individual_history": PDF,
    "camera_summary": PDF,
    "detections_csv": ("confirmed_only",),
    "record_table_csv": ("independence_minutes", "confirmed_only"),
    "camtrap_dp": ("independence_minutes", "confirmed_only"),
    "secr_capthist": HISTORY,
    "mark_inp": HISTORY,
    "detection_history": HISTORY,
    "scores_csv": ("model", "run_id"),
    "scores_parquet": ("model", "run_id"),
    "megadetector_json": (),
}
ABOUT = {
    "secr_capthist": "capthist.csv (Session, ID, Occasion, Detector, SexAge) and traps.txt "
    "(x/y in metres from the stations' coordinates, usage = trap nights per occasion), for "
    'secr::read.capthist(..., detector = "proximity", binary.usage = FALSE).',
    "mark_inp": "MARK's encounter histories: one line per deer over the occasions with a "
    "camera operating and identified deer.",
    "detection_history": "camtrapR's detectionHistory() for deer: stations × occasions of 1, 0 "
    "or NA (no camera operating), with the effort matrix and the occasions' dates.",
    "scores_csv": "Every logged similarity score with the detection's identity, whether a "
    "reviewer set it, and where and when it was photographed.",
    "megadetector_json": "Boxes in MegaDetector's batch format, for tools that read it.",
}


def fields(report: str, cameras: dict, runs: dict[str, list[str]]) -> tuple[dict, dict]:
    """Draw the widgets ``report`` takes (inside the form); return the request and the
    per-field error slots."""
    wants = PARAMS.get(report, PDF)
    err: dict = {"report_type": st.empty()}
    a, b, c = st.columns(3)
    start = a.date_input("From (blank: first photo)", value=None, key="export_start")
    err["start_date"] = a.empty()
    end = b.date_input("To (blank: last photo)", value=None, key="export_end")
    err["end_date"] = b.empty()
    data = {
        "report_type": report,
        "start_date": start.isoformat() if isinstance(start, dt.date) else None,
        "end_date": end.isoformat() if isinstance(end, dt.date) else None,
    }
    if "group_by" in wants:
        label = "Occasion" if "independence_minutes" not in wants else "Group by"
        data["group_by"] = c.selectbox(label, GROUP_BY, index=GROUP_BY.index("week"),
                                       key="export_group")  # fmt: skip
        err["group_by"] = c.empty()
    picked = st.multiselect("Cameras (blank: all)", list(cameras), format_func=cameras.get,
                            key="export_cameras")  # fmt: skip
    data["deployments"] = list(picked)
    err["deployments"] = st.empty()
    if "independence_minutes" in wants:
        data["independence_minutes"] = st.number_input(
            "Independence interval (minutes)", value=30.0, step=5.0, key="export_minutes"
        )
        err["independence_minutes"] = st.empty()
    if "confirmed_only" in wants:
        data["confirmed_only"] = st.checkbox(
            "Confirmed identities only", value=scope.confirmed_only(), key=K.EXPORT_CONFIRMED,
            help=scope.HELP,
        )  # fmt: skip
    if "model" in wants:
        a, b = st.columns(2)
        model = a.selectbox("Model (blank: all)", list(runs), index=None, key="export_model")
        options = runs.get(model, []) if model else sorted({r for v in runs.values() for r in v})
        data["model"] = model
        data["run_id"] = b.selectbox("Run (blank: all)", options, index=None, key="export_run")
        err["model"], err["run_id"] = a.empty(), b.empty()
    return data, err

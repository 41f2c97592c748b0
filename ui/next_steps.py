"""The Overview's "What to do next" column."""

from __future__ import annotations

import streamlit as st

from deertrack_core.stats import OverviewCounts


def show(counts: OverviewCounts) -> None:
    st.subheader("What to do next")
    if counts.images == 0:
        st.write("The archive is empty: start by importing a folder of photos.")
        st.page_link("screens/import_data.py", label="Import photos", icon=":material/upload:")
    if counts.images_without_detections:
        st.write(
            f"**{counts.images_without_detections:,}** photos have no detections yet "
            "(empty frames, or no MegaDetector file imported for them)."
        )
        st.page_link("screens/import_data.py", label="Import detections", icon=":material/upload:")
    if counts.awaiting_review:
        st.write(f"**{counts.awaiting_review:,}** animal detections await review.")
        st.page_link("screens/review.py", label="Review detections", icon=":material/fact_check:")
    if counts.reviewed:
        st.write(f"**{counts.reviewed:,}** detections reviewed: enough to check the threshold.")
        st.page_link("screens/threshold.py", label="Tune the threshold", icon=":material/tune:")
    st.page_link("screens/exports.py", label="Export a report", icon=":material/download:")

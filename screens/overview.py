"""Overview: what is in the archive, how it grew, what to do next."""

import streamlit as st

from ui import charts, jobs, readers, resources

url = resources.start_page(
    "DeerTrack", "Trail-camera photos to reviewed sightings of individual deer"
)
counts, over_time = readers.overview(url)

cols = st.columns(5)
cols[0].metric("Photos", f"{counts.images:,}")
cols[1].metric("Animal detections", f"{counts.animal_detections:,}")
cols[2].metric("Individual deer", f"{counts.individuals:,}")
cols[3].metric("Cameras", f"{counts.deployments:,}")
cols[4].metric("Awaiting review", f"{counts.awaiting_review:,}")

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Detections over time")
    if over_time:
        st.altair_chart(charts.weekly_detections(over_time), width="stretch")
    else:
        st.caption("No dated detections yet.")

with right:
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

    st.subheader("Latest jobs")
    latest = jobs.recent(5)
    if latest:
        jobs.table_view(latest, ["kind", "status", "progress", "finished"])
    else:
        st.caption("No jobs have run yet.")

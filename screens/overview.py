"""Overview: what is in the archive, how it grew, where the cameras are, what to do next."""

import streamlit as st

from ui import charts, jobs, next_steps, readers, resources, scope, station_map
from ui import state as K

url = resources.start_page(
    "DeerTrack", "Trail-camera photos to reviewed sightings of individual deer"
)
counts, over_time = readers.overview(url)

station_map.sync_click()  # a click on the map picks the station below
a, b = st.columns([2, 3])
only = scope.toggle("overview", a)
table = readers.stations(url, only)
names = list(table["station"]) if len(table) else []
if st.session_state.get(K.OV_STATION) not in names:
    st.session_state[K.OV_STATION] = None
station = b.selectbox("Station (or click one on the map)", names, index=None, key=K.OV_STATION,
                      placeholder="All stations")  # fmt: skip
deps = tuple(table.loc[table["station"] == station, "deployment_ids"].iloc[0]) if station else ()
prov, ids, weekly = readers.identities(url, only, deps)
if station:
    over_time = readers.detections_over_time(url, deps)

cols = st.columns(5)
cols[0].metric("Photos", f"{counts.images:,}")
cols[1].metric(
    "Animal detections", f"{sum(prov.values()) if station else counts.animal_detections:,}"
)
cols[2].metric("Individual deer", f"{ids['individuals']:,}", help=f"Distinct deer {scope.label(only)}; "
               f"{ids['confirmed']:,} of them identified by a reviewer at least once.")  # fmt: skip
cols[3].metric("Cameras", f"{counts.deployments:,}")
cols[4].metric("Awaiting review", f"{counts.awaiting_review:,}")
st.caption(("**Station " + station + "**: detections, deer and charts. " if station else "")
           + scope.sentence(prov, only))  # fmt: skip

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Detections over time")
    if over_time:
        st.altair_chart(charts.weekly_detections(over_time), width="stretch")
    else:
        st.caption("No dated detections yet.")
    st.subheader("Distinct individuals per week")
    if len(weekly):
        st.altair_chart(charts.weekly_individuals(weekly, scope.label(only)), width="stretch")
        st.caption(
            "Shaded: the share of the week's deer boxes a reviewer identified. Where it drops, "
            "fewer identified deer means less review, not fewer deer."
        )
    else:
        st.caption("No dated deer boxes yet.")

with right:
    next_steps.show(counts)
    st.subheader("Stations")
    if len(table) and table["latitude"].notna().any():
        st.altair_chart(station_map.chart(table, "Detections per 100 trap nights", station),
                        width="content", on_select="rerun", selection_mode="station",
                        key=K.OV_MAP)  # fmt: skip
    else:
        st.caption("No station has coordinates yet: set them on the Import page's deployments.")
    if missing := station_map.without_coordinates(table):
        st.caption(f"Not on the map (no coordinates): {', '.join(missing)}.")

    st.subheader("Latest jobs")
    latest = jobs.recent(5)
    if latest:
        jobs.table_view(latest, ["kind", "status", "progress", "finished"])
    else:
        st.caption("No jobs have run yet.")

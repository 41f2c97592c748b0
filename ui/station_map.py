"""The station map: deployments with coordinates as points, sized and coloured by detections
per 100 trap nights, drawn basemap-free (no tiles to download: works offline and in tests).

A click on a station filters the Overview (:func:`clicked` reads the map's selection); a
selectbox does the same for keyboards and where clicks are not available.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui import state as K


def chart(table: pd.DataFrame, title: str, selected: str | None = None) -> alt.Chart:
    """Points at longitude/latitude (equal-angle, the square of a few km barely distorts),
    with a station's click selection named ``station``."""
    df = table.dropna(subset=["latitude", "longitude"]).copy()
    df["rate"] = df["detections_per_100"].fillna(0.0)
    df["picked"] = df["station"] == selected if selected else True
    pick = alt.selection_point(fields=["station"], name="station", on="click")
    pad = lambda s: [s.min() - 0.1 * max(s.max() - s.min(), 1e-3),  # noqa: E731
                     s.max() + 0.1 * max(s.max() - s.min(), 1e-3)]  # fmt: skip
    base = alt.Chart(df).encode(
        x=alt.X("longitude:Q", title="Longitude", scale=alt.Scale(domain=pad(df["longitude"]))),
        y=alt.Y("latitude:Q", title="Latitude", scale=alt.Scale(domain=pad(df["latitude"]))),
    )
    points = base.mark_circle(stroke="#2b2a24", strokeWidth=1).encode(
        size=alt.Size("rate:Q", title="Detections / 100 trap nights",
                      scale=alt.Scale(range=[60, 1200], zero=True)),
        color=alt.Color("rate:Q", title="Detections / 100 trap nights",
                        scale=alt.Scale(scheme="yelloworangebrown")),
        opacity=alt.condition("datum.picked", alt.value(0.9), alt.value(0.25)),
        tooltip=["station:N", alt.Tooltip("detections:Q", format=","),
                 alt.Tooltip("trap_nights:Q", format=",.0f", title="trap nights"),
                 alt.Tooltip("rate:Q", format=".1f", title="detections / 100 trap nights"),
                 alt.Tooltip("individuals:Q", title="distinct deer")],
    ).add_params(pick)  # fmt: skip
    labels = base.mark_text(dy=-14, fontSize=11, color="#2b2a24").encode(text="station:N")
    return alt.layer(points, labels).properties(title=title, height=340)


def without_coordinates(table: pd.DataFrame) -> list[str]:
    return sorted(table.loc[table["latitude"].isna() | table["longitude"].isna(), "station"])


def clicked(event) -> str | None:
    """The station a map click picked, from the chart's selection state (or None)."""
    try:
        picks = event["selection"]["station"]
    except (KeyError, TypeError):
        return None
    return picks[0].get("station") if picks else None


def sync_click() -> None:
    """Copy a new map click into the station filter (call before the filter is drawn)."""
    station = clicked(st.session_state.get(K.OV_MAP))
    if station != st.session_state.get(K.OV_MAP_SEEN):
        st.session_state[K.OV_MAP_SEEN] = station
        if station is not None:
            st.session_state[K.OV_STATION] = station

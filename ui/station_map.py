"""The station map: deployments with coordinates as points, sized and coloured by detections
per 100 trap nights, drawn basemap-free (no tiles to download: works offline and in tests).

A click on a station filters the Overview (:func:`clicked` reads the map's selection); a
selectbox does the same for keyboards and where clicks are not available.
"""

from __future__ import annotations

import math

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
    lon_dom, lat_dom = square(df["longitude"], df["latitude"])
    base = alt.Chart(df).encode(
        x=alt.X("longitude:Q", title="Longitude", scale=alt.Scale(domain=lon_dom, nice=False)),
        y=alt.Y("latitude:Q", title="Latitude", scale=alt.Scale(domain=lat_dom, nice=False)),
    )
    points = base.mark_circle(stroke="#2b2a24", strokeWidth=1).encode(
        size=alt.Size("rate:Q", title="Detections / 100 trap nights", legend=LEGEND,
                      scale=alt.Scale(range=[60, 1200], zero=True)),
        color=alt.Color("rate:Q", title="Detections / 100 trap nights", legend=LEGEND,
                        scale=alt.Scale(scheme="yelloworangebrown")),
        opacity=alt.condition("datum.picked", alt.value(0.9), alt.value(0.25)),
        tooltip=["station:N", alt.Tooltip("detections:Q", format=","),
                 alt.Tooltip("trap_nights:Q", format=",.0f", title="trap nights"),
                 alt.Tooltip("rate:Q", format=".1f", title="detections / 100 trap nights"),
                 alt.Tooltip("individuals:Q", title="distinct deer")],
    ).add_params(pick)  # fmt: skip
    labels = base.mark_text(dy=-14, fontSize=11, color="#2b2a24").encode(text="station:N")
    # "pad": the plot is SIDE × SIDE and axes, legend and title come on top (Streamlit's
    # default "fit" squeezes them into SIDE and the map loses its square)
    return alt.layer(points, labels).properties(
        title=title, width=SIDE, height=SIDE, autosize=alt.AutoSizeParams(type="pad")
    )


LEGEND = alt.Legend(orient="bottom", direction="horizontal")
#: The map's width and height in pixels: square, so a kilometre is as long north as east.
SIDE = 300


def square(lon: pd.Series, lat: pd.Series, margin: float = 1.35) -> tuple[list, list]:
    """Longitude and latitude domains of equal ground distance (a degree of longitude is
    cos(latitude) of a degree of latitude), centred on the stations with room for labels."""
    mid_lat = (lat.min() + lat.max()) / 2
    shrink = max(math.cos(math.radians(mid_lat)), 0.05)
    half = max(lat.max() - lat.min(), (lon.max() - lon.min()) * shrink, 2e-3) * margin / 2
    mid_lon = (lon.min() + lon.max()) / 2
    return [mid_lon - half / shrink, mid_lon + half / shrink], [mid_lat - half, mid_lat + half]


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

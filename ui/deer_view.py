"""Drawing helpers of the individuals screen."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from deertrack_core.individuals import DeerCard, Sighting, StationRow
from ui import images
from ui import state as K


def _date(d) -> str:
    return d.strftime("%d %b %Y") if d else "—"


def gallery(cards: list[DeerCard], per_row: int = 5) -> None:
    for start in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, card in zip(cols, cards[start : start + per_row], strict=False):
            with col.container(border=True):
                if card.exemplar is not None:
                    st.image(images.crop_jpeg(card.exemplar.path, card.exemplar.box, 220))
                st.markdown(f"**{card.name}** · {card.sex_age}")
                st.caption(
                    f"{card.sightings} sightings · {card.stations} cameras  \n"
                    f"{_date(card.first_seen)} – {_date(card.last_seen)}"
                )
                if st.button("Open", key=f"deer_open_{card.deer_id}", width="stretch"):
                    st.session_state[K.DEER_SELECTED] = card.deer_id
                    st.rerun()


def timeline(rows: list[Sighting]) -> None:
    dated = [r for r in rows if r.captured_at is not None]
    if not dated:
        st.caption("No dated sightings.")
        return
    df = pd.DataFrame(
        {"time": [r.captured_at for r in dated], "camera": [r.station for r in dated]}
    )
    chart = (
        alt.Chart(df)
        .mark_circle(size=90, opacity=0.8, color="#3f6b3a")
        .encode(
            x=alt.X("time:T", title="Date"),
            y=alt.Y("camera:N", title="Camera"),
            tooltip=[alt.Tooltip("time:T", format="%Y-%m-%d %H:%M"), "camera:N"],
        )
        .properties(height=alt.Step(32))  # one row per camera, never squeezed
    )
    st.altair_chart(chart, width="stretch")


def strip(rows: list[Sighting], limit: int = 12) -> None:
    shown = rows[-limit:]
    cols = st.columns(6)
    for i, r in enumerate(shown):
        when = r.captured_at.strftime("%d %b %H:%M") if r.captured_at else "?"
        cols[i % 6].image(
            images.crop_jpeg(r.crop.path, r.crop.box, 160),
            caption=f"#{r.detection_id} · {r.station} · {when}",
        )


def stations(table: list[StationRow]) -> None:
    """Sightings per camera, with the first and last day seen there."""
    st.dataframe(
        pd.DataFrame([r.__dict__ for r in table]).rename(
            columns={"station": "camera", "first_seen": "first seen", "last_seen": "last seen"}
        ),
        hide_index=True,
        column_config={
            "first seen": st.column_config.DatetimeColumn(format="D MMM YYYY"),
            "last seen": st.column_config.DatetimeColumn(format="D MMM YYYY"),
        },
    )

"""Drawing helpers of the individuals screen."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from deertrack_core import individuals
from deertrack_core.individuals import DeerCard, Sighting, StationRow
from ui import formats, images
from ui import state as K

SPLIT_PAGE = 24  # sightings per page of the split picker


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _vega_time(t: pd.Timestamp) -> alt.DateTime:
    """A time as Vega reads the data's times (local, naive), for a scale's domain."""
    return alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour, minutes=t.minute)


def _date(d) -> str:
    return d.strftime("%d %b %Y") if d else "—"


def gallery(cards: list[DeerCard], per_row: int = 5) -> None:
    for start in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, card in zip(cols, cards[start : start + per_row], strict=False):
            with col.container(border=True):
                if card.exemplar is not None:  # one frame size for every card: the rows line up
                    st.image(images.view_jpeg(card.exemplar.path, card.exemplar.box, (240, 200)),
                             width="stretch")  # fmt: skip
                st.markdown(f"**{card.name}** · {card.sex_age}")
                st.caption(
                    f"{plural(card.sightings, 'sighting')} · {plural(card.stations, 'camera')}  \n"
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
    first, last = df["time"].min(), df["time"].max()
    pad = max((last - first) * 0.03, pd.Timedelta(days=1))  # one sighting still gets a span
    span = [_vega_time(first - pad), _vega_time(last + pad)]
    chart = (
        alt.Chart(df)
        .mark_circle(size=90, opacity=0.8, color="#3f6b3a")
        .encode(
            x=alt.X("time:T", title="Date", scale=alt.Scale(domain=span)),
            y=alt.Y("camera:N", title="Camera"),
            tooltip=[alt.Tooltip("time:T", format="%Y-%m-%d %H:%M"), "camera:N"],
        )
        .properties(height=alt.Step(32))  # one row per camera, never squeezed
    )
    st.altair_chart(chart, width="stretch")


def strip(rows: list[Sighting], limit: int = 12) -> None:
    """The latest sightings, newest last, all in one frame size so the rows line up."""
    shown = rows[-limit:]
    cols = st.columns(4)
    for i, r in enumerate(shown):
        when = r.captured_at.strftime("%d %b %H:%M") if r.captured_at else "time unknown"
        cols[i % 4].image(
            images.view_jpeg(r.crop.path, r.crop.box, (200, 160)),
            caption=f"{when} · {r.station.split('/')[0]}",
            width="stretch",
        )


def stations(table: list[StationRow]) -> None:
    """Sightings per camera, with the first and last day seen there."""
    st.dataframe(
        pd.DataFrame([r.__dict__ for r in table]).rename(
            columns={"station": "camera", "first_seen": "first seen", "last_seen": "last seen"}
        ),
        hide_index=True,
        width="stretch",
        column_config={
            # Dates sized to their content (a set width cut "12 Jan 2026" short).
            "sightings": st.column_config.NumberColumn(width="small"),
            "first seen": st.column_config.DatetimeColumn(format="D MMM YYYY"),
            "last seen": st.column_config.DatetimeColumn(format="D MMM YYYY"),
        },
    )


def sighting_label(r: Sighting) -> str:
    return f"#{r.detection_id} · {r.station} · {formats.day_time(r.captured_at)}"


def split(deer_id: int, name: str, rows: list[Sighting], edit: Callable[..., None]) -> None:
    """Pick the sightings that belong to another animal and move them to a new deer."""
    if not st.toggle("Pick sightings to split off into a new deer", key=f"{K.DEER_SPLIT}_on"):
        return
    pages = max(1, -(-len(rows) // SPLIT_PAGE))
    page = st.columns([1, 3])[0].number_input(
        f"Page (of {pages}; {SPLIT_PAGE} sightings each, in time order)", 1, pages, 1,
        key=f"{K.DEER_SPLIT}_page_{deer_id}",
    )  # fmt: skip
    shown = rows[(page - 1) * SPLIT_PAGE : page * SPLIT_PAGE]
    # Picks live outside the checkboxes: a checkbox on another page is not rendered, and
    # Streamlit forgets the state of widgets it does not render.
    picked: set[int] = st.session_state.setdefault(f"{K.DEER_SPLIT}_picked_{deer_id}", set())
    cols = st.columns(6)
    for i, r in enumerate(shown):
        with cols[i % 6]:
            st.image(images.view_jpeg(r.crop.path, r.crop.box, (200, 160)), width="stretch")
            st.checkbox(
                sighting_label(r), value=r.detection_id in picked,
                key=f"{K.DEER_SPLIT}_{deer_id}_{r.detection_id}",
                on_change=picked.symmetric_difference_update, args=({r.detection_id},),
            )  # fmt: skip
    new_name = st.text_input("Name of the new deer (blank: the next free number)",
                             key=f"{K.DEER_SPLIT}_name_{deer_id}")  # fmt: skip
    if st.button(
        f"Move {len(picked)} sightings to a new deer", key="deer_split_btn", type="primary",
        disabled=not picked, help="One action in the audit trail; undo joins them again",
    ):  # fmt: skip
        edit(individuals.split, deer_id, sorted(picked), name=new_name,
             message=f"{len(picked)} sightings of {name} moved to a new deer.",
             then=lambda: picked.clear() or "Undo on the Audit trail page.")  # fmt: skip

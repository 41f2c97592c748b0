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


def tally_text(tally: dict[str, int] | None) -> str:
    """ "8 confirmed · 4 automatic": who identified the deer's sightings."""
    tally = tally or {}
    parts = [f"{tally[k]:,} {k}" for k in ("confirmed", "automatic", "proposed") if tally.get(k)]
    return " · ".join(parts) or "no dated sightings"


def provenance_of(rows: list[Sighting]) -> list[str]:
    """Each sighting's identity provenance (confirmed / automatic / proposed)."""
    from deertrack_core.analysis.provenance import classify

    status = pd.Series([r.status for r in rows], dtype="object")
    return list(classify(status, pd.Series([1] * len(rows), dtype="float")))


def gallery(cards: list[DeerCard], per_row: int = 5, tallies: dict | None = None) -> None:
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
                    f"{_date(card.first_seen)} – {_date(card.last_seen)}  \n"
                    f"identified: {tally_text((tallies or {}).get(card.deer_id))}"
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
        {"time": [r.captured_at for r in dated], "camera": [r.station for r in dated],
         "identified": provenance_of(dated)}
    )  # fmt: skip
    colours = {"confirmed": "#3f6b3a", "automatic": "#c9b27c", "proposed": "#9a9a9a"}
    domain = [k for k in colours if k in set(df["identified"])]
    first, last = df["time"].min(), df["time"].max()
    pad = max((last - first) * 0.03, pd.Timedelta(days=1))  # one sighting still gets a span
    span = [_vega_time(first - pad), _vega_time(last + pad)]
    chart = (
        alt.Chart(df)
        .mark_circle(size=90, opacity=0.8)
        .encode(
            x=alt.X("time:T", title="Date", scale=alt.Scale(domain=span)),
            y=alt.Y("camera:N", title="Camera"),
            color=alt.Color(
                "identified:N",
                title="identified",
                scale=alt.Scale(domain=domain, range=[colours[k] for k in domain]),
            ),
            tooltip=[alt.Tooltip("time:T", format="%Y-%m-%d %H:%M"), "camera:N", "identified:N"],
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


def tally(rows: list[Sighting]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in provenance_of(rows):
        out[p] = out.get(p, 0) + 1
    return out


def station_map(table: pd.DataFrame, name: str) -> None:
    """The deer's stations on the Overview's kind of map (its detections per 100 trap nights)."""
    from ui import station_map as smap

    mine = table[table["detections"] > 0]
    if mine["latitude"].notna().any():
        st.altair_chart(smap.chart(table, f"Where {name} was seen (per 100 trap nights)"),
                        width="content")  # fmt: skip
    if missing := smap.without_coordinates(mine):
        st.caption(f"Not on the map (no coordinates): {', '.join(missing)}.")


def edit_panel(selected: int, deer, rows: list[Sighting], others: dict, edit) -> None:
    """Rename, notes, merge another deer in, move a wrong detection out."""
    st.subheader("Edit")
    a, b = st.columns(2, gap="large")
    with a:
        name = st.text_input("Name or tag", value=deer.name, key=f"{K.DEER_RENAME}_{selected}")
        if st.button("Rename", key="deer_rename_btn"):
            edit(individuals.rename, selected, name, message=f"Renamed to {name}.")
        notes = st.text_area("Notes", value=deer.notes, key=f"{K.DEER_NOTES}_{selected}")
        if st.button("Save notes", key="deer_notes_btn"):
            edit(individuals.set_notes, selected, notes, message="Notes saved.")
    with b:
        merge = st.selectbox(
            "Merge another deer into this one",
            list(others),
            format_func=others.get,
            index=None,
            key=K.DEER_MERGE_WITH,
        )
        if st.button(
            "Merge",
            key="deer_merge_btn",
            disabled=merge is None,
            help="Its sightings move here; it is kept in the audit trail",
        ):
            edit(
                individuals.merge,
                selected,
                merge,
                message=f"Merged {others.get(merge)} into {deer.name}.",
            )
        labels = {r.detection_id: sighting_label(r) for r in rows}
        move = st.selectbox(
            "Move a wrong detection out", list(labels), format_func=labels.get, index=None,
            key=K.DEER_MOVE_DETECTION,
        )  # fmt: skip
        targets = {"queue": "back to the review queue", "new": "a new individual"} | {
            str(i): n for i, n in others.items()
        }
        target = st.selectbox("…to", list(targets), format_func=targets.get, key=K.DEER_MOVE_TARGET)
        if st.button("Move out", key="deer_move_btn", disabled=move is None):
            to = None if target == "queue" else target if target == "new" else int(target)
            edit(individuals.move_out, move, to=to, message=f"Detection {move} moved out.")


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

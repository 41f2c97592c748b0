"""The box editor of the review desk: move or resize a box, add a missed animal, delete a box.

The whole photo is drawn as a chart with its boxes; dragging on it draws a rectangle, which
"Use the drawn rectangle" copies into the four fields (percent of the photo) that fine-tune it.
Saving goes through :mod:`deertrack_core.boxes` (audited, undoable, version-checked).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from deertrack_core import boxes
from deertrack_core.boxes import BoxRow, PhotoBoxes
from ui import images
from ui import state as K

FIELDS = ("x", "y", "w", "h")
LABELS = {"x": "Left %", "y": "Top %", "w": "Width %", "h": "Height %"}
CHART_WIDTH = 900


def _keys(pick: BoxRow) -> dict[str, str]:
    """Field keys of one box version: a saved box starts its fields afresh."""
    return {f: f"{K.BOX_EDIT}_{f}_{pick.detection_id}_{pick.version}" for f in FIELDS}


def _chart(photo: PhotoBoxes, pick: BoxRow, edited: tuple | None) -> alt.LayerChart:
    jpeg = images.photo_jpeg(photo.path, (), max_side=1200)
    url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    height = round(CHART_WIDTH * photo.height / photo.width) if photo.width else 675
    x = alt.X("x:Q", scale=alt.Scale(domain=[0, 1], nice=False), axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=[1, 0], nice=False), axis=None)
    draw = alt.selection_interval(name="draw", encodings=["x", "y"], empty=False)
    image = (
        alt.Chart(pd.DataFrame([{"x": 0, "y": 0, "x2": 1, "y2": 1, "url": url}]))
        .mark_image(aspect=False)
        .encode(x=x, x2="x2:Q", y=y, y2="y2:Q", url="url:N")
        .add_params(draw)
    )
    rows = [
        {"x": b.box[0], "y": b.box[1], "x2": b.box[0] + b.box[2], "y2": b.box[1] + b.box[3],
         "what": f"#{b.detection_id} {b.category} {b.deer or b.status}",
         "kind": "picked" if b.detection_id == pick.detection_id else "other"}
        for b in photo.boxes
    ]  # fmt: skip
    if edited is not None:
        ex, ey, ew, eh = edited
        rows.append(
            {"x": ex, "y": ey, "x2": ex + ew, "y2": ey + eh, "what": "new place", "kind": "edit"}
        )
    frames = (
        alt.Chart(pd.DataFrame(rows))
        .mark_rect(fillOpacity=0, strokeWidth=3)
        .encode(
            x=x, x2="x2:Q", y=y, y2="y2:Q", tooltip=["what:N"],
            stroke=alt.Stroke("kind:N", legend=None, scale=alt.Scale(
                domain=["picked", "other", "edit"], range=["#ffc400", "#f0f0f0", "#3f9bff"])),
            strokeDash=alt.condition("datum.kind == 'edit'", alt.value([6, 4]), alt.value([1, 0])),
        )
    )  # fmt: skip
    return alt.layer(image, frames).properties(width=CHART_WIDTH, height=height)


def _use_drawn(keys: dict[str, str], drawn: dict) -> None:
    (x0, x1), (y0, y1) = sorted(drawn["x"]), sorted(drawn["y"])
    values = {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}
    st.session_state.update(
        {keys[f]: round(100 * min(max(v, 0.0), 1.0), 1) for f, v in values.items()}
    )


def editor(photo: PhotoBoxes, detection_id: int, act: Callable[..., None]) -> None:
    """Pick a box of the photo, move/resize it, delete it, or add a new one."""
    by_id = {b.detection_id: b for b in photo.boxes}
    pick_id = st.selectbox(
        "Box", list(by_id), key=f"{K.BOX_PICK}_{photo.image_id}",
        index=list(by_id).index(detection_id) if detection_id in by_id else 0,
        format_func=lambda i: f"#{i} · {by_id[i].category} · {by_id[i].deer or by_id[i].status} "
        f"· {by_id[i].source} {by_id[i].confidence:.2f}",
    )  # fmt: skip
    pick = by_id[pick_id]
    keys = _keys(pick)
    cols = st.columns(4)
    for col, f, v in zip(cols, FIELDS, pick.box, strict=True):
        st.session_state.setdefault(keys[f], round(100 * v, 1))
        col.number_input(LABELS[f], 0.0, 100.0, step=0.1, key=keys[f], format="%.1f")
    edited = tuple(st.session_state[keys[f]] / 100 for f in FIELDS)
    unchanged = all(abs(e - v) < 0.0006 for e, v in zip(edited, pick.box, strict=True))
    chart = _chart(photo, pick, None if unchanged else edited)
    event = st.altair_chart(chart, on_select="rerun", key="box_chart",
                            width="content")  # fmt: skip
    drawn = (event.selection or {}).get("draw") if event else None
    st.caption("Amber: the box picked · white: the photo's other boxes · dashed blue: the new "
               "place. Drag on the photo to draw a rectangle.")  # fmt: skip
    a, b, c, d = st.columns(4)
    a.button("Use the drawn rectangle", key="box_use_drawn", disabled=not drawn,
             on_click=_use_drawn, args=(keys, drawn or {}), width="stretch")  # fmt: skip
    if b.button("Move the box here", key="box_save", type="primary", width="stretch",
                disabled=unchanged):  # fmt: skip
        act(boxes.move_box, pick.ref, edited, message=f"Box #{pick.detection_id} moved.")
    if c.button("Add as a missed animal", key="box_add", width="stretch",
                help="A new box on this photo; it joins the review queue"):  # fmt: skip
        act(boxes.add_box, photo.image_id, edited, message="Box added: it waits in the queue.")
    if d.button("Delete this box", key="box_delete", width="stretch", icon=":material/delete:",
                help="A false or duplicate box; undo brings it back"):  # fmt: skip
        act(boxes.delete_box, pick.ref, message=f"Box #{pick.detection_id} deleted.")

"""Individual history report: per deer an exemplar crop, first/last seen, sightings per station
and a timeline."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pandas as pd
from reportlab.platypus import Table, TableStyle

from deertrack_core import paths
from deertrack_core.analysis import histories
from deertrack_core.models import MatchStatus
from deertrack_core.progress import ProgressCallback
from deertrack_core.reid.crops import crop_box
from deertrack_core.reports import charts
from deertrack_core.reports import pdf as P
from deertrack_core.reports.inputs import ReportInputs

log = logging.getLogger(__name__)

TITLE = "Individual history report"
CROP_SIDE = 2.1 * P.inch


def exemplar_row(rows: pd.DataFrame, exemplar_id) -> pd.Series:
    """The deer's chosen exemplar detection if it is among ``rows``, else its best view:
    reviewed first, then the most confident, then the largest box."""
    if pd.notna(exemplar_id):
        chosen = rows[rows["detection_id"] == int(exemplar_id)]
        if len(chosen):
            return chosen.iloc[0]
    ranked = rows.assign(
        _reviewed=rows["match_status"].isin([MatchStatus.CONFIRMED, MatchStatus.CORRECTED]),
        _area=rows["w"] * rows["h"],
    ).sort_values(["_reviewed", "confidence", "_area"], ascending=False)
    return ranked.iloc[0]


def crop_png(row: pd.Series) -> bytes | None:
    """The detection's crop as PNG bytes, or None when the photo cannot be read."""
    try:
        img = crop_box(paths.resolve(row["path"]), (row["x"], row["y"], row["w"], row["h"]),
                       margin=0.15, min_side=160)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - a missing photo must not stop the report
        log.info("no exemplar crop for detection %s: %s", row["detection_id"], exc)
        return None
    img.thumbnail((480, 480))
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


def _photo_cell(data: bytes | None):
    if data is not None:
        return P.png(data, width=CROP_SIDE, max_height=CROP_SIDE)
    box = Table([[P.para("<i>photo not available</i>", "small")]], colWidths=[CROP_SIDE],
                rowHeights=[CROP_SIDE * 0.75])  # fmt: skip
    box.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), P.colors.HexColor("#eeeeee")),
                             ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                             ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))  # fmt: skip
    return box


def _identified(deer, inputs: ReportInputs) -> str:
    """How this deer's detections got their identity (see analysis.provenance)."""
    text = f"{int(deer['confirmed']):,} detections confirmed by a reviewer"
    if not inputs.confirmed_only:
        machine = f" ({inputs.machine_model})" if inputs.machine_model else ""
        text += f", {int(deer['automatic']):,} automatic{machine}"
        if deer["confirmed"] == 0:
            text += "; <b>no reviewer has seen this deer yet</b>"
    return text


def _deer_block(inputs: ReportInputs, deer: pd.Series, rows: pd.DataFrame, exemplar_id) -> list:
    best = exemplar_row(rows, exemplar_id)
    facts = [
        ("Sex/age class", str(deer["sex_age"])),
        ("First seen", f"{deer['first_seen']:%Y-%m-%d %H:%M} at {rows.iloc[0]['station']}"),
        ("Last seen", f"{deer['last_seen']:%Y-%m-%d %H:%M} at {rows.iloc[-1]['station']}"),
        ("Detections", f"{int(deer['detections']):,}"),
        ("Independent events", f"{int(deer['events']):,}"),
        ("Days seen", f"{int(deer['days_seen']):,}"),
        ("Stations", f"{int(deer['stations'])}"),
        ("Identified", _identified(deer, inputs)),
        (
            "Exemplar",
            f"detection {int(best['detection_id'])}, {best['captured_at']:%Y-%m-%d %H:%M}",
        ),
    ]
    side = P.kv_table(facts, widths=(1.25 * P.inch, P.CONTENT_WIDTH - CROP_SIDE - 1.6 * P.inch))
    top = Table([[_photo_cell(crop_png(best)), side]],
                colWidths=[CROP_SIDE + 0.2 * P.inch, P.CONTENT_WIDTH - CROP_SIDE - 0.2 * P.inch],
                hAlign="LEFT")  # fmt: skip
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("LEFTPADDING", (0, 0), (0, 0), 0)]))  # fmt: skip
    per_station = histories.sightings_per_station(rows, deer["deer_id"], inputs.minutes)
    station_rows = [
        [r.station, int(r.detections), int(r.events), r.first_seen, r.last_seen]
        for r in per_station.itertuples()
    ]
    daily = (
        rows.assign(date=rows["captured_at"].dt.normalize())
        .groupby(["date", "station", "provenance"])
        .size()
        .rename("detections")
        .reset_index()
    )
    timeline = charts.timeline_chart(daily, list(per_station["station"]), *_season(inputs))
    title = (
        f"{deer['deer_name'] or 'Deer'} <font size=10 color='#666666'>(#{deer['deer_id']})</font>"
    )
    return [
        P.Paragraph(title, P.STYLES["h1"]),
        top,
        P.Paragraph("Sightings per station", P.STYLES["h2"]),
        P.data_table(
            ["Station", "Detections", "Events", "First seen", "Last seen"],
            station_rows,
            [1.6 * P.inch, 0.9 * P.inch, 0.8 * P.inch, 1.35 * P.inch, 1.35 * P.inch],
            numeric_from=1,
        ),  # fmt: skip
        P.Paragraph("Timeline", P.STYLES["h2"]),
        P.para(
            "Days the deer was photographed, per station; a larger dot is more detections; "
            "the colour says who identified them."
        ),
        P.png(timeline, width=P.CONTENT_WIDTH * 0.95, max_height=3.2 * P.inch),
        P.PageBreak(),
    ]


def build(inputs: ReportInputs, path: Path, meta: P.ReportMeta, progress: ProgressCallback) -> int:
    """Write the individual-history PDF; return its page count."""
    df = inputs.detections
    summary = histories.deer_summary(df, inputs.minutes)
    exemplars = dict(zip(inputs.deer["deer_id"], inputs.deer["exemplar_id"], strict=True))
    story = P.cover(
        meta,
        [
            (f"individuals {inputs.scope}", f"{len(summary):,}"),
            ("identified detections", f"{int(summary['detections'].sum()):,}"),
            ("independent events", f"{int(summary['events'].sum()):,}"),
            ("stations", f"{df['station'].nunique():,}"),
        ],
        intro=(
            "One section per identified deer seen in the date range, in order of first "
            "sighting: an exemplar photo crop, first and last sighting, sightings per station "
            "and a timeline of the days it was photographed. Each deer says how many of its "
            "detections a reviewer confirmed and how many the machine matched."
        ),
    )
    story.append(P.PageBreak())
    story.append(P.Paragraph("All individuals", P.STYLES["h1"]))
    story.append(
        P.para(
            f"Counted {inputs.scope}. Confirmed: detections whose identity a reviewer set; the "
            "rest of each deer's detections are automatic matches."
        )
    )
    story.append(
        P.data_table(
            [
                "Deer",
                "Class",
                "First seen",
                "Last seen",
                "Detections",
                "Confirmed",
                "Events",
                "Stations",
            ],  # fmt: skip
            [
                [
                    r.deer_name or f"#{r.deer_id}",
                    r.sex_age,
                    r.first_seen,
                    r.last_seen,
                    int(r.detections),
                    int(r.confirmed),
                    int(r.events),
                    int(r.stations),
                ]
                for r in summary.itertuples()
            ],  # fmt: skip
            [
                1.1 * P.inch,
                0.55 * P.inch,
                1.2 * P.inch,
                1.2 * P.inch,
                0.8 * P.inch,
                0.8 * P.inch,
                0.6 * P.inch,
                0.75 * P.inch,
            ],  # fmt: skip
            numeric_from=4,
        )
    )
    story.append(P.PageBreak())
    progress(2, 5, f"drawing {len(summary)} individuals")
    by_deer = {k: g for k, g in df[df["deer_id"].notna()].groupby("deer_id")}
    for i, deer in enumerate(summary.to_dict("records")):
        rows = by_deer[deer["deer_id"]].sort_values("captured_at")
        story += _deer_block(inputs, pd.Series(deer), rows, exemplars.get(deer["deer_id"]))
        if i % 10 == 9:
            progress(2, 5, f"drew {i + 1} of {len(summary)} individuals")
    if story and isinstance(story[-1], P.PageBreak):
        story.pop()
    progress(4, 5, "writing PDF")
    return P.render(story, meta, path)


def _season(inputs) -> tuple:
    """The timelines' span: the range's first to last photo of any deer (every deer on the same
    axis; a long range with a short season is not drawn as years of empty axis)."""
    times = inputs.detections["captured_at"]
    if times.empty:
        return inputs.start, inputs.end
    return max(inputs.start, times.min().date()), min(inputs.end, times.max().date())

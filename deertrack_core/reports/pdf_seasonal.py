"""Seasonal activity report: activity per period and per hour by sex/age class, individuals,
and simple population estimates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from deertrack_core.analysis import abundance, activity, effort, histories
from deertrack_core.progress import ProgressCallback
from deertrack_core.reports import charts
from deertrack_core.reports import pdf as P
from deertrack_core.reports.inputs import ReportInputs

TITLE = "Seasonal activity report"
#: Detection columns this report reads (a narrower query on 10^5 rows).
COLUMNS: tuple[str, ...] = ()
GROUPED = True  # the cover lists the grouping (day/week/month)


def _class_columns(table: pd.DataFrame) -> pd.DataFrame:
    wide = table.pivot_table(
        index="period", columns="sex_age", values="events", aggfunc="sum", fill_value=0
    )
    return wide[[c for c in activity.CLASSES if c in wide.columns]]


def build(inputs: ReportInputs, path: Path, meta: P.ReportMeta, progress: ProgressCallback) -> int:
    """Write the seasonal-activity PDF to ``path``; return its page count."""
    df, group_by, minutes = inputs.detections, inputs.group_by, inputs.minutes
    table = activity.activity_table(df, group_by, minutes, start=inputs.start, end=inputs.end)
    totals = activity.period_totals(df, group_by, minutes, start=inputs.start, end=inputs.end)
    hourly = activity.hourly_activity(df, minutes)
    summary = activity.season_summary(df, minutes)
    nights = effort.trap_nights(inputs.deployments, inputs.start, inputs.end)["trap_nights"].sum()
    labels = {p: activity.period_label(p, group_by) for p in totals["period"]}
    table["period_label"] = table["period"].map(labels)
    totals["period_label"] = totals["period"].map(labels)
    progress(2, 5, "drawing charts")

    per_period = charts.activity_chart(table, "events")
    individuals = charts.individuals_chart(totals)
    per_hour = charts.hourly_chart(hourly)
    progress(3, 5, "laying out pages")

    story = P.cover(
        meta,
        [
            ("detections", f"{summary['detections']:,}"),
            ("independent events", f"{summary['events']:,}"),
            ("distinct individuals", f"{summary['individuals']:,}"),
            ("stations", f"{summary['stations']:,}"),
            ("trap nights", f"{nights:,.0f}"),
        ],
        intro=(
            "Activity of white-tailed deer recorded by the camera traps over the date range: "
            "detections (animal boxes), independent events and distinct identified individuals "
            f"per {group_by}, split by sex/age class, and activity by hour of day."
        ),
    )
    story.append(P.PageBreak())
    story += P.section(
        f"Independent events per {group_by}",
        P.para(
            "Stacked by sex/age class (the class of the event's first record: the reviewer's "
            "class for the detection, else the individual's)."
        ),
        P.png(per_period, max_height=260),
    )
    story += P.section(
        f"Distinct individuals per {group_by}",
        P.para("Identified deer seen at least once in the period (all classes)."),
        P.png(individuals, max_height=170),
    )
    story += P.section(
        "Activity by hour of day",
        P.para(
            "Independent events by the hour of the camera's local clock, over the whole range. "
            "Deer are crepuscular: expect peaks around dawn and dusk."
        ),
        P.png(per_hour, max_height=220),
    )
    # The long table goes last, on fresh pages, so its total row is not left alone on a page.
    story += _population(df, inputs)
    story += P.section(
        "Methods",
        P.para(
            f"<b>Independent events.</b> Records are grouped by station and subject (the "
            f"individual when identified, else the species). A record opens a new event when "
            f"at least {minutes:g} minutes have passed since the last record that opened one "
            "(camtrapR <i>minDeltaTime</i> with <i>deltaTimeComparedTo = "
            "lastIndependentRecord</i>)."
        ),
        P.para(
            "<b>Trap nights.</b> Each deployment counts from its start to its end, clipped to "
            "the date range; when a deployment has no recorded start or end, its first or last "
            "photo stands in."
        ),
        P.para(
            "<b>Times</b> are the cameras' local clock corrected by each deployment's clock offset."
        ),
    )
    story.append(P.PageBreak())
    story += _period_table(table, totals, group_by)
    progress(4, 5, "writing PDF")
    return P.render(story, meta, path)


def _period_table(table: pd.DataFrame, totals: pd.DataFrame, group_by: str) -> list:
    wide = _class_columns(table)
    merged = totals.set_index("period").join(wide)
    classes = list(wide.columns)
    header = [group_by.capitalize(), *[f"Events: {c}" for c in classes], "Detections",
              "Events", "Individuals"]  # fmt: skip
    rows = [
        [
            r.period_label,
            *[int(getattr(r, c)) for c in classes],
            int(r.detections),
            int(r.events),
            int(r.individuals),
        ]  # fmt: skip
        for r in merged.reset_index().itertuples()
    ]
    rows.append(
        [
            "Total",
            *[int(merged[c].sum()) for c in classes],
            int(merged["detections"].sum()),
            int(merged["events"].sum()),
            "–",
        ]  # fmt: skip
    )
    first = 1.55 * P.inch if group_by == "week" else 1.1 * P.inch
    rest = (P.CONTENT_WIDTH - first) / (len(header) - 1)
    return [
        P.Paragraph(f"Counts per {group_by}", P.STYLES["h1"]),
        P.para(
            "Events by sex/age class, and totals over all classes. Individuals are distinct "
            "identified deer in the period, so they do not add up across periods."
        ),
        P.data_table(header, rows, [first] + [rest] * (len(header) - 1), total_row=True),
    ]


def _population(df: pd.DataFrame, inputs: ReportInputs) -> list:
    history = histories.capture_history(df, "week", start=inputs.start, end=inputs.end)
    rows = []
    for est in abundance.estimates(history):
        interval = (
            f"{est.lower:g} – {est.upper:g}" if est.lower is not None and est.upper is not None
            else "–"
        )  # fmt: skip
        value = f"{est.estimate:g}" if est.estimate is not None else "–"
        rows.append([est.method, value, interval, est.note])
    widths = [1.7 * P.inch, 0.8 * P.inch, 1.1 * P.inch, P.CONTENT_WIDTH - 3.6 * P.inch]
    return P.section(
        "Population size (simple estimates)",
        P.para(
            f"Capture history: identified deer over {history.shape[1]} weekly occasions. "
            "<b>Read with care:</b> these closed-population estimators assume no births, deaths "
            "or movement during the range, equal detectability and perfect identification; "
            "re-identification errors bias them (missed matches inflate, false matches deflate)."
        ),
        P.data_table(
            ["Method", "Estimate", "95% interval", "Notes"],
            [[m, v, i, P.Paragraph(n, P.STYLES["cell"])] for m, v, i, n in rows],
            widths,
        ),  # fmt: skip
    )

"""Seasonal activity report: activity per period and per hour by sex/age class, individuals with
the reviewed coverage of each period, and population size with and without ID error."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from deertrack_core.analysis import activity, effort
from deertrack_core.progress import ProgressCallback
from deertrack_core.reports import charts, pdf_population, periods
from deertrack_core.reports import pdf as P
from deertrack_core.reports.inputs import ReportInputs

TITLE = "Seasonal activity report"
#: Detection columns this report reads (a narrower query on 10^5 rows).
COLUMNS: tuple[str, ...] = ()
GROUPED = True  # the cover lists the grouping (day/week/month)


def prepare(session, inputs: ReportInputs, progress: ProgressCallback) -> ReportInputs:
    """Population size needs the session: the score calibration and the machine identities'
    rescoring come from the reviewed evidence and cached embeddings."""
    from deertrack_core.analysis.population import population_from_session

    progress(1, 5, "estimating population size (with identification error)")
    report = population_from_session(
        session, start=inputs.start, end=inputs.end,
        deployments=getattr(inputs.request, "deployments", ()), occasion=inputs.group_by,
        confirmed_only=inputs.confirmed_only, detections=inputs.detections,
    )  # fmt: skip
    return replace(inputs, extra={**inputs.extra, "population": report})


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
    coverage = activity.review_coverage(df, group_by, start=inputs.start, end=inputs.end)
    totals = totals.merge(coverage[["period", "individuals_confirmed", "reviewed_share"]],
                          on="period", how="left")  # fmt: skip
    labels = {p: activity.period_label(p, group_by) for p in totals["period"]}
    table["period_label"] = table["period"].map(labels)
    totals["period_label"] = totals["period"].map(labels)
    progress(2, 5, "drawing charts")

    span = periods.busy_span(totals)  # long empty runs before/after the season stay off charts
    trimmed = periods.trimmed_note(totals, span, group_by, lambda p: labels[p])
    per_period = charts.activity_chart(periods.within(table, span), "events")
    individuals = charts.individuals_coverage_chart(periods.within(totals, span), inputs.scope)
    per_hour = charts.hourly_chart(hourly)
    progress(3, 5, "laying out pages")

    story = P.cover(
        meta,
        [
            ("detections", f"{summary['detections']:,}"),
            ("independent events", f"{summary['events']:,}"),
            (f"distinct individuals {inputs.scope}", f"{summary['individuals']:,}"),
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
            f"class for the detection, else the individual's).{trimmed}"
        ),
        P.png(per_period, max_height=260),
    )
    story += P.section(
        f"Distinct individuals per {group_by}",
        P.para(
            f"Identified deer seen at least once in the period (all classes), counted "
            f"{inputs.scope}, and counting reviewed identities alone. Below: the share of the "
            "period's deer boxes a reviewer identified. Where it drops, fewer identified deer "
            "means less review, not fewer deer."
        ),
        P.png(individuals, max_height=230),
    )
    story += P.section(
        "Activity by hour of day",
        P.para(
            "Independent events by the hour of the camera's local clock, over the whole range. "
            "Deer are crepuscular: expect peaks around dawn and dusk."
        ),
        P.png(per_hour, max_height=220),
    )
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
    population = inputs.extra.get("population")
    if population is not None:
        story.append(P.PageBreak())
        story += pdf_population.section(population, inputs.scope)
    # The long table goes last, on fresh pages, so its total row is not left alone on a page.
    story.append(P.PageBreak())
    story += _period_table(table, totals, group_by)
    progress(4, 5, "writing PDF")
    return P.render(story, meta, path)


def _period_table(table: pd.DataFrame, totals: pd.DataFrame, group_by: str) -> list:
    wide = _class_columns(table)
    merged = totals.set_index("period").join(wide)
    classes = list(wide.columns)
    header = [group_by.capitalize(), *[f"Events: {c}" for c in classes], "Detections",
              "Events", "Individuals", "Reviewed %"]  # fmt: skip
    records = list(merged.reset_index().itertuples())
    rows = [
        [
            r.period_label,
            *[int(getattr(r, c)) for c in classes],
            int(r.detections),
            int(r.events),
            int(r.individuals),
            "–" if r.reviewed_share != r.reviewed_share else f"{100 * r.reviewed_share:.0f}",
        ]  # fmt: skip
        for r in records
    ]
    rows = periods.fold_empty(rows, [r.detections == 0 for r in records], group_by, len(header))
    folded = [i + 1 for i, r in enumerate(rows) if r[1] == ""]  # +1: the header row
    rows.append(
        [
            "Total",
            *[int(merged[c].sum()) for c in classes],
            int(merged["detections"].sum()),
            int(merged["events"].sum()),
            "–",
            "",
        ]  # fmt: skip
    )
    first = 1.45 * P.inch if group_by == "week" else 1.0 * P.inch
    totals_w = [0.8 * P.inch, 0.6 * P.inch, 0.8 * P.inch, 0.75 * P.inch]
    each = (P.CONTENT_WIDTH - first - sum(totals_w)) / max(len(classes), 1)
    widths = [first] + [each] * len(classes) + totals_w
    return [
        P.Paragraph(f"Counts per {group_by}", P.STYLES["h1"]),
        P.para(
            "Events by sex/age class, and totals over all classes. Individuals are distinct "
            "identified deer in the period, so they do not add up across periods. Reviewed %: "
            "share of the period's deer boxes whose identity a reviewer set. A run of periods "
            "without detections is one row."
        ),
        _span_rows(P.data_table(header, rows, widths, total_row=True), folded),
    ]


def _span_rows(table, rows: list[int]):
    """Let each folded run's text run across the whole row, in italics."""
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    style = []
    for i in rows:
        style += [("SPAN", (0, i), (-1, i)), ("ALIGN", (0, i), (-1, i), "LEFT"),
                  ("FONTNAME", (0, i), (-1, i), "Helvetica-Oblique"),
                  ("TEXTCOLOR", (0, i), (-1, i), colors.HexColor("#555555"))]  # fmt: skip
    if style:
        table.setStyle(TableStyle(style))
    return table

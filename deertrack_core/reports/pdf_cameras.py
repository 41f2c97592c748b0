"""Camera summary report: trap nights, detections and independent events per 100 trap nights
per station, and the deployments behind them."""

from __future__ import annotations

from pathlib import Path

from deertrack_core.analysis import effort
from deertrack_core.progress import ProgressCallback
from deertrack_core.reports import charts
from deertrack_core.reports import pdf as P
from deertrack_core.reports.inputs import ReportInputs

TITLE = "Camera summary report"
#: Detection columns this report reads (a narrower query on 10^5 rows).
COLUMNS: tuple[str, ...] = ()


def _percent(share) -> str:
    return "–" if share is None or share != share else f"{100 * share:.0f}"


def build(inputs: ReportInputs, path: Path, meta: P.ReportMeta, progress: ProgressCallback) -> int:
    """Write the camera-summary PDF; return its page count."""
    summary = effort.camera_summary(
        inputs.detections, inputs.deployments, inputs.minutes, inputs.start, inputs.end
    )
    deployments = effort.trap_nights(inputs.deployments, inputs.start, inputs.end)
    progress(2, 5, "drawing charts")
    rates = charts.station_rates_chart(summary)
    nights = float(summary["trap_nights"].sum())
    events = int(summary["events"].sum())
    story = P.cover(
        meta,
        [
            ("stations", f"{len(summary):,}"),
            ("deployments", f"{len(deployments):,}"),
            ("trap nights", f"{nights:,.0f}"),
            ("independent events", f"{events:,}"),
            ("events / 100 trap nights", f"{events / nights * 100:,.1f}" if nights else "–"),
        ],
        intro=(
            "Sampling effort and detection rates per station: trap nights from the deployment "
            "periods, detections and independent events, and both per 100 trap nights."
        ),
    )
    story.append(P.PageBreak())
    progress(3, 5, "laying out pages")
    rows = [
        [
            r.station,
            r.cameras,
            r.trap_nights,
            int(r.detections),
            int(r.events),
            int(r.individuals),
            r.detections_per_100,
            r.events_per_100,
            _percent(getattr(r, "reviewed_share", None)),
        ]  # fmt: skip
        for r in summary.itertuples()
    ]
    total_rate = lambda n: round(n / nights * 100, 2) if nights else None  # noqa: E731
    rows.append(
        [
            "Total",
            "",
            round(nights, 2),
            int(summary["detections"].sum()),
            events,
            "–",
            total_rate(summary["detections"].sum()),
            total_rate(events),
            "",
        ]  # fmt: skip
    )
    story.append(P.Paragraph("Stations", P.STYLES["h1"]))
    story.append(
        P.para(
            f"Individuals: distinct identified deer, counted {inputs.scope}. Reviewed: share of "
            "the station's boxes whose identity a reviewer set."
        )
    )
    story.append(
        P.data_table(
            [
                "Station",
                "Cameras",
                "Trap nights",
                "Detections",
                "Events",
                "Individuals",
                "Detections / 100 TN",
                "Events / 100 TN",
                "Reviewed %",
            ],  # fmt: skip
            rows,
            [
                0.85 * P.inch,
                0.8 * P.inch,
                0.65 * P.inch,
                0.8 * P.inch,
                0.6 * P.inch,
                0.8 * P.inch,
                0.85 * P.inch,
                0.75 * P.inch,
                0.7 * P.inch,
            ],  # fmt: skip
            numeric_from=2,
            total_row=True,
        )
    )
    story += P.section(
        "Independent events per 100 trap nights",
        P.png(rates, width=P.CONTENT_WIDTH * 0.9, max_height=4.5 * P.inch),
    )
    story.append(P.Paragraph("Deployments", P.STYLES["h1"]))
    story.append(
        P.para(
            "Operating period per deployment inside the date range. <i>photos</i>: the "
            "deployment has no recorded start or end, so its first or last photo stands in."
        )
    )
    dep_rows = [
        [r.station, r.camera, r.op_start, r.op_end, r.period_source, r.trap_nights, int(r.n_images)]
        for r in deployments.itertuples()
    ]
    story.append(
        P.data_table(
            [
                "Station",
                "Camera",
                "Operating from",
                "Operating to",
                "Period from",
                "Trap nights",
                "Photos (all dates)",
            ],  # fmt: skip
            [[None if v != v else v for v in row] for row in dep_rows],
            [
                1.0 * P.inch,
                0.9 * P.inch,
                1.2 * P.inch,
                1.2 * P.inch,
                0.8 * P.inch,
                0.8 * P.inch,
                0.9 * P.inch,
            ],  # fmt: skip
            numeric_from=5,
        )
    )
    story += P.section(
        "Methods",
        P.para(
            "<b>Trap nights</b> are 24-hour periods of operation between a deployment's start "
            "and end, clipped to the date range; stations add up their deployments. "
            f"<b>Independent events</b> use a {inputs.minutes:g}-minute interval per station and "
            "subject (the individual, else the species), as camtrapR's minDeltaTime."
        ),
    )
    progress(4, 5, "writing PDF")
    return P.render(story, meta, path)

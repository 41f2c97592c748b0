"""Report charts: Altair specifications rendered to PNG with vl-convert (offline, no browser).

Each function takes an already aggregated, small DataFrame (never the raw detections) and
returns PNG bytes; the chart data are embedded in the specification.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from deertrack_core.analysis.activity import CLASSES

#: One colour per sex/age class, the same in every chart.
CLASS_COLOURS = {"buck": "#8c510a", "doe": "#d8a03d", "fawn": "#35978f", "unknown": "#b0b0b0"}

FONT = "Liberation Sans, DejaVu Sans, sans-serif"


def _class_scale(classes: list[str]) -> alt.Scale:
    domain = [c for c in CLASSES if c in classes] + [c for c in classes if c not in CLASSES]
    return alt.Scale(domain=domain, range=[CLASS_COLOURS.get(c, "#777777") for c in domain])


def render_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (vl-convert renders Vega-Lite without a browser)."""
    import vl_convert

    spec = (
        chart.configure(font=FONT, background="white")
        .configure_view(strokeWidth=0)
        .configure_axis(labelFontSize=10, titleFontSize=11)
        .configure_legend(labelFontSize=10, titleFontSize=11, orient="top")
        .to_dict(validate=False)
    )
    return vl_convert.vegalite_to_png(spec, scale=scale)


def activity_chart(table: pd.DataFrame, measure: str = "events", title: str = "") -> bytes:
    """Stacked bars per period by sex/age class. ``table``: period_label, sex_age, measure."""
    classes = sorted(set(table["sex_age"]))
    order = list(dict.fromkeys(table["period_label"]))
    many = len(order) > 40
    chart = (
        alt.Chart(table, title=title)
        .mark_bar(size=max(2, min(30, 440 // max(1, len(order)))) if many else alt.Undefined)
        .encode(
            x=alt.X(
                "period_label:O",
                sort=order,
                title=None,
                axis=alt.Axis(labelAngle=-50, labelOverlap=True, labelLimit=120),
            ),
            y=alt.Y(f"sum({measure}):Q", title=measure.replace("_", " ").capitalize()),
            color=alt.Color("sex_age:N", scale=_class_scale(classes), title="Sex/age class"),
            order=alt.Order("class_order:Q"),
        )
        .transform_calculate(
            class_order=f"indexof({[c for c in CLASSES]!r}, datum.sex_age)".replace("'", '"')
        )
        .properties(width=460, height=220)
    )
    return render_png(chart)


def individuals_chart(totals: pd.DataFrame) -> bytes:
    """Distinct individuals per period (line with points). ``totals``: period_label, individuals."""
    order = list(totals["period_label"])
    base = alt.Chart(totals).encode(
        x=alt.X(
            "period_label:O",
            sort=order,
            title=None,
            axis=alt.Axis(labelAngle=-50, labelOverlap=True, labelLimit=120),
        ),
        y=alt.Y("individuals:Q", title="Distinct individuals", axis=alt.Axis(tickMinStep=1)),
    )
    line = base.mark_line(color="#4a6741")
    # Points help on a few periods; on a daily season they only blur the line.
    layered = line if len(order) > 40 else line + base.mark_point(color="#4a6741", filled=True)
    chart = layered.properties(width=460, height=140)
    return render_png(chart)


def hourly_chart(hourly: pd.DataFrame) -> bytes:
    """Independent events per hour of day, stacked by class. ``hourly``: hour, sex_age, events."""
    classes = sorted(set(hourly["sex_age"]))
    chart = (
        alt.Chart(hourly)
        .mark_bar()
        .encode(
            x=alt.X("hour:O", title="Hour of day (camera local time)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(events):Q", title="Independent events"),
            color=alt.Color("sex_age:N", scale=_class_scale(classes), title="Sex/age class"),
        )
        .properties(width=460, height=180)
    )
    return render_png(chart)


def timeline_chart(daily: pd.DataFrame, stations: list[str], start, end) -> bytes:
    """One deer's sightings: day × station, dot size = detections that day, colour = who
    identified them (when ``daily`` has ``provenance``).

    ``daily``: date, station, detections[, provenance].
    """
    day = pd.Timedelta(days=1)
    domain = [(pd.Timestamp(start) - day).isoformat(), (pd.Timestamp(end) + day).isoformat()]
    chart = (
        alt.Chart(daily)
        .mark_circle(color="#8c510a", opacity=0.75)
        .encode(
            x=alt.X(
                "date:T",
                title=None,
                scale=alt.Scale(domain=domain, nice=False),
                axis=alt.Axis(format="%b %d", labelOverlap=True),
            ),
            y=alt.Y("station:N", sort=stations, title=None),
            size=alt.Size("detections:Q", scale=alt.Scale(range=[20, 220]), legend=None),
            **_provenance_colour(daily),
        )
        .properties(width=420, height=max(40, 18 * len(stations)))
    )
    return render_png(chart, scale=1.5)


#: Who identified a sighting, the same colours wherever provenance is drawn.
PROVENANCE_COLOURS = {"confirmed": "#8c510a", "automatic": "#7fa3c6"}


def _provenance_colour(frame: pd.DataFrame) -> dict:
    if "provenance" not in frame.columns:
        return {}
    domain = [p for p in PROVENANCE_COLOURS if p in set(frame["provenance"])]
    scale = alt.Scale(domain=domain, range=[PROVENANCE_COLOURS[p] for p in domain])
    return {"color": alt.Color("provenance:N", scale=scale, title="identified")}


def station_rates_chart(summary: pd.DataFrame) -> bytes:
    """Events per 100 trap nights per station (horizontal bars)."""
    data = summary[["station", "events_per_100"]].fillna(0)
    chart = (
        alt.Chart(data)
        .mark_bar(color="#4a6741")
        .encode(
            y=alt.Y("station:N", sort="-x", title=None),
            x=alt.X("events_per_100:Q", title="Independent events per 100 trap nights"),
        )
        .properties(width=420, height=max(60, 20 * len(data)))
    )
    return render_png(chart)


def individuals_coverage_chart(coverage: pd.DataFrame, scope: str) -> bytes:
    """Distinct individuals per period (as counted, and confirmed only) above the share of the
    period's deer boxes a reviewer identified, so a gap in review is not read as a gap in deer.

    ``coverage``: period_label, individuals, individuals_confirmed, reviewed_share (0-1, NaN
    without boxes).
    """
    order = list(coverage["period_label"])
    x = alt.X("period_label:O", sort=order, title=None,
              axis=alt.Axis(labelAngle=-50, labelOverlap=True, labelLimit=120))  # fmt: skip
    x_top = alt.X("period_label:O", sort=order, title=None, axis=None)
    counted = f"counted {scope}"
    lines = coverage.melt(
        id_vars=["period_label"], value_vars=["individuals", "individuals_confirmed"],
        var_name="series", value_name="deer",
    ).replace({"series": {"individuals": counted, "individuals_confirmed": "confirmed only"}})  # fmt: skip
    colour = alt.Color("series:N", title=None, scale=alt.Scale(
        domain=[counted, "confirmed only"], range=["#4a6741", "#d8a03d"]))  # fmt: skip
    top = alt.Chart(lines).mark_line(point=len(order) <= 40).encode(
        x=x_top,
        y=alt.Y("deer:Q", title="Distinct individuals", axis=alt.Axis(tickMinStep=1)),
        color=colour,
    ).properties(width=460, height=130)  # fmt: skip
    share = coverage.assign(reviewed=coverage["reviewed_share"].fillna(0) * 100)
    bottom = alt.Chart(share).mark_bar(color="#8aa6c1").encode(
        x=x,
        y=alt.Y("reviewed:Q", title="Reviewed %", scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(values=[0, 50, 100])),
    ).properties(width=460, height=55)  # fmt: skip
    return render_png(alt.vconcat(top, bottom, spacing=4))


def population_chart(rows: list[dict], seen: int | None = None) -> bytes:
    """Each model's estimate with its sampling-only and with-ID-error 95 % intervals, side by
    side, and a dashed line at the deer seen. ``rows``: model, kind ("sampling only" / "with
    ID error"), estimate, lower, upper."""
    data = pd.DataFrame(rows)
    kinds = ["sampling only", "with ID error"]
    colour = alt.Color("kind:N", title=None,
                       scale=alt.Scale(domain=kinds, range=["#4a6741", "#b2182b"]))  # fmt: skip
    lo = min(float(data["lower"].min()), float(seen) if seen is not None else np.inf)
    hi = float(data["upper"].max())
    pad = max((hi - lo) * 0.05, 0.5)
    x_scale = alt.Scale(domain=[lo - pad, hi + pad], nice=False, zero=False)
    y = alt.Y("model:N", title=None, sort=list(dict.fromkeys(data["model"])))
    offset = alt.YOffset("kind:N", sort=kinds)
    rule = alt.Chart(data).mark_rule(strokeWidth=2).encode(
        y=y, yOffset=offset, x=alt.X("lower:Q", title="Population size (N)", scale=x_scale),
        x2="upper:Q", color=colour,
    )  # fmt: skip
    dot = (
        alt.Chart(data)
        .mark_point(filled=True, size=45)
        .encode(y=y, yOffset=offset, x=alt.X("estimate:Q", scale=x_scale), color=colour)
    )
    height = max(60, 34 * data["model"].nunique())
    layers = rule + dot
    if seen is not None:
        mark = pd.DataFrame({"seen": [seen], "label": [f"{seen} deer seen"]})
        line = (
            alt.Chart(mark)
            .mark_rule(strokeDash=[4, 3], color="#777777")
            .encode(x=alt.X("seen:Q", scale=x_scale))
        )
        text = alt.Chart(mark).mark_text(align="left", dx=3, dy=-3, baseline="bottom",
                                         color="#555555", fontSize=9).encode(
            x=alt.X("seen:Q", scale=x_scale), y=alt.value(height), text="label:N"
        )  # fmt: skip
        layers = line + text + layers
    return render_png(layers.properties(width=420, height=height))

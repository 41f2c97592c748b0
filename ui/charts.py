"""Altair charts shared by the similarity and threshold screens."""

from __future__ import annotations

import altair as alt
import pandas as pd

from deertrack_core.weeks import iso_week, week_label, week_start

PALETTE = {
    "matched": "#3f6b3a",
    "not matched": "#c9b27c",
    "same deer": "#3f6b3a",
    "different deer": "#b5651d",
}


#: How a histogram's height reads: raw counts; each colour normalised to a density (so a group
#: 20 times smaller is as visible as the big one); counts on a log scale.
HISTOGRAM_VIEWS = {
    "count": "Counts",
    "density": "Normalised (each colour's area is 1)",
    "log": "Counts, log scale",
}


def histogram(
    rows: list[dict], threshold: float | None, title: str, view: str = "count"
) -> alt.LayerChart:
    df = pd.DataFrame(rows)
    groups = sorted(df["group"].unique())
    if view == "density":
        totals = df.groupby("group")["count"].transform("sum")
        df["height"] = df["count"] / (totals * (df["hi"] - df["lo"]))
        y = alt.Y("height:Q", stack=None, title="Density (area of each colour = 1)")
    elif view == "log":
        df["height"] = df["count"]
        y = alt.Y("height:Q", stack=None, title="Scores (log scale)", scale=alt.Scale(type="log"))
    else:
        df["height"] = df["count"]
        y = alt.Y("height:Q", stack=None, title="Scores")
    bars = (
        alt.Chart(df)
        .mark_bar(opacity=0.6, binSpacing=0)
        .encode(
            x=alt.X("lo:Q", bin="binned", title="Similarity score"),
            x2="hi:Q",
            y=y,
            color=alt.Color(
                "group:N",
                title="",
                scale=alt.Scale(domain=groups, range=[PALETTE.get(g, "#777") for g in groups]),
            ),
            tooltip=[
                "group:N",
                alt.Tooltip("lo:Q", format=".3f", title="from"),
                alt.Tooltip("hi:Q", format=".3f", title="to"),
                alt.Tooltip("count:Q", format=","),
            ],
        )
    )
    layers = [bars]
    if threshold is not None:
        rule = pd.DataFrame({"threshold": [threshold]})
        layers.append(
            alt.Chart(rule)
            .mark_rule(color="#2b2a24", strokeDash=[5, 4])
            .encode(x="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", format=".2f")])
        )
    # The padding keeps the title clear of the chart frame (it was cut at the top).
    return alt.layer(*layers).properties(title=title, height=280, padding={"top": 14, "left": 5})


AXIS_TITLES = {
    "fpr": "False-match rate (different deer called the same)",
    "tpr": "True-match rate (recall)",
    "recall": "Recall (same-deer pairs found)",
    "precision": "Precision (matches that are right)",
}


def curve(df: pd.DataFrame, x: str, y: str, point: dict, title: str, diagonal: bool) -> alt.Chart:
    line = (
        alt.Chart(df)
        .mark_line(color="#3f6b3a")
        .encode(
            x=alt.X(f"{x}:Q", scale=alt.Scale(domain=[0, 1]), title=AXIS_TITLES.get(x, x)),
            y=alt.Y(f"{y}:Q", scale=alt.Scale(domain=[0, 1]), title=AXIS_TITLES.get(y, y)),
            order="order:Q",
        )
    )
    dot = (
        alt.Chart(pd.DataFrame([point]))
        .mark_point(size=160, filled=True, color="#b5651d")
        .encode(x=f"{x}:Q", y=f"{y}:Q", tooltip=list(point))
    )
    layers = [line, dot]
    if diagonal:
        d = pd.DataFrame({x: [0, 1], y: [0, 1]})
        layers.insert(0, alt.Chart(d).mark_line(strokeDash=[3, 3], color="#aaa").encode(x=x, y=y))
    return alt.layer(*layers).properties(title=title, height=300)


def weekly_detections(rows: list[dict]) -> alt.Chart:
    """Detections per ISO week (the weeks the reports use), reviewed vs not, stacked."""
    df = pd.DataFrame(rows)
    df["monday"] = df["day"].map(week_start)
    df = df.groupby(["monday", "status"], as_index=False)["detections"].sum()
    df["week"] = df["monday"].map(iso_week)
    df["label"] = df["monday"].map(week_label)
    order = list(dict.fromkeys(df.sort_values("monday")["week"]))
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X(
                "week:O",
                sort=order,
                title="ISO week",
                axis=alt.Axis(labelAngle=0, labelOverlap="greedy"),
            ),  # fmt: skip
            y=alt.Y("detections:Q", title="Animal detections"),
            color=alt.Color(
                "status:N",
                title="",
                scale=alt.Scale(domain=["reviewed", "not reviewed"], range=["#3f6b3a", "#c9b27c"]),
            ),
            tooltip=[alt.Tooltip("label:N", title="week"), "status:N", "detections:Q"],
        )
        .properties(height=300)
    )


def weekly_individuals(table: pd.DataFrame, scope: str) -> alt.LayerChart:
    """Distinct deer per ISO week (counted ``scope``, and with a reviewer's identity only) over
    the share of the week's deer boxes a reviewer identified, shaded behind: where the shading
    drops, fewer deer means less review, not fewer deer."""
    df = table.copy()
    df["week"] = df["period"].map(iso_week)
    df["label"] = df["period"].map(week_label)
    df["reviewed"] = (df["reviewed_share"] * 100).round(0)
    order = list(df["week"])
    x = alt.X("week:O", sort=order, title="ISO week",
              axis=alt.Axis(labelAngle=0, labelOverlap="greedy"))  # fmt: skip
    tips = [alt.Tooltip("label:N", title="week"),
            alt.Tooltip("individuals:Q", title=f"deer {scope}"),
            alt.Tooltip("individuals_confirmed:Q", title="deer (confirmed only)"),
            alt.Tooltip("boxes:Q", title="deer boxes"),
            alt.Tooltip("reviewed:Q", title="reviewed %")]  # fmt: skip
    shade = (
        alt.Chart(df)
        .mark_bar(color="#c9b27c", opacity=0.35)
        .encode(
            x=x,
            tooltip=tips,
            y=alt.Y(
                "reviewed:Q",
                title="Deer boxes reviewed (%, shaded)",
                scale=alt.Scale(domain=[0, 100]),
            ),
        )  # fmt: skip
    )
    long = df.melt(
        id_vars=["week", "label"], value_vars=["individuals", "individuals_confirmed"],
        var_name="series", value_name="deer",
    )  # fmt: skip
    names = {"individuals": f"distinct deer {scope}",
             "individuals_confirmed": "distinct deer, confirmed only"}  # fmt: skip
    long["series"] = long["series"].map(names)
    domain = list(dict.fromkeys(names.values()))
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("deer:Q", title="Distinct individuals"),
            color=alt.Color("series:N", title="", legend=alt.Legend(orient="bottom", labelLimit=400),
                            scale=alt.Scale(domain=domain, range=["#3f6b3a", "#b5651d"])),
            strokeDash=alt.StrokeDash("series:N", legend=None,
                                      scale=alt.Scale(domain=domain, range=[[1, 0], [4, 3]])),
            tooltip=[alt.Tooltip("label:N", title="week"), "series:N", "deer:Q"],
        )
    )  # fmt: skip
    return alt.layer(shade, lines).resolve_scale(y="independent").properties(height=300)

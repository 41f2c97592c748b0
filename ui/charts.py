"""Altair charts shared by the similarity and threshold screens."""

from __future__ import annotations

import altair as alt
import pandas as pd

PALETTE = {
    "matched": "#3f6b3a",
    "not matched": "#c9b27c",
    "same deer": "#3f6b3a",
    "different deer": "#b5651d",
}


def histogram(rows: list[dict], threshold: float | None, title: str) -> alt.LayerChart:
    df = pd.DataFrame(rows)
    groups = sorted(df["group"].unique())
    bars = (
        alt.Chart(df)
        .mark_bar(opacity=0.75, binSpacing=0)
        .encode(
            x=alt.X("lo:Q", bin="binned", title="Similarity score"),
            x2="hi:Q",
            y=alt.Y("count:Q", stack=None, title="Scores"),
            color=alt.Color(
                "group:N",
                title="",
                scale=alt.Scale(domain=groups, range=[PALETTE.get(g, "#777") for g in groups]),
            ),
            tooltip=["group:N", alt.Tooltip("lo:Q", format=".2f"), "count:Q"],
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
    return alt.layer(*layers).properties(title=title, height=280)


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

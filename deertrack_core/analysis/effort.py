"""Sampling effort: trap nights per deployment and station, and rates per 100 trap nights.

A deployment operates from its ``start`` to its ``end``; when either is unknown the first or last
timed photo of the deployment stands in (a camera is known to have worked at least that long).
Trap nights are 24-hour periods of operation inside the report's date range, as a decimal number.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from deertrack_core.analysis.events import independent_events
from deertrack_core.analysis.load import day_bounds


def operating_periods(deployments: pd.DataFrame) -> pd.DataFrame:
    """``op_start``/``op_end`` per deployment, and where each came from (set or photos)."""
    out = deployments.copy()
    out["op_start"] = out["start"].fillna(out["first_photo"])
    out["op_end"] = out["end"].fillna(out["last_photo"])
    out["period_source"] = np.where(
        out["start"].notna() & out["end"].notna(), "deployment", "photos"
    )
    return out


def trap_nights(
    deployments: pd.DataFrame, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Trap nights per deployment within ``[start, end]`` (whole days; open when None).

    Adds ``op_start``, ``op_end``, ``period_source`` and ``trap_nights`` (0 for a deployment with
    no known period or none inside the range).
    """
    out = operating_periods(deployments)
    lo, hi = day_bounds(start, end)
    op_start = out["op_start"]
    op_end = out["op_end"]
    if lo is not None:
        op_start = op_start.clip(lower=pd.Timestamp(lo))
    if hi is not None:
        op_end = op_end.clip(upper=pd.Timestamp(hi))
    nights = (op_end - op_start).dt.total_seconds() / 86400.0
    out["trap_nights"] = nights.fillna(0.0).clip(lower=0.0).round(3)
    return out


def station_effort(
    deployments: pd.DataFrame, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Trap nights and cameras per station (deployments of one station add up)."""
    tn = trap_nights(deployments, start, end)
    grouped = tn.groupby("station")
    return pd.DataFrame(
        {
            "cameras": grouped["camera"].apply(lambda s: ", ".join(sorted({c for c in s if c}))),
            "deployments": grouped.size(),
            "trap_nights": grouped["trap_nights"].sum().round(2),
        }
    ).reset_index()


def per_100(count: pd.Series, nights: pd.Series) -> pd.Series:
    """``count / nights * 100``, NaN where there was no effort."""
    nights = nights.astype(float)
    return (count.astype(float) / nights.where(nights > 0) * 100.0).round(2)


def camera_summary(
    detections: pd.DataFrame,
    deployments: pd.DataFrame,
    minutes: float,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Per station: trap nights, detections, independent events, distinct individuals,
    detections and events per 100 trap nights. Stations without photos are kept (zeros)."""
    effort = station_effort(deployments, start, end).set_index("station")
    ev = (
        detections
        if "independent" in detections.columns
        else independent_events(detections, minutes)
    )
    grouped = ev.groupby("station")
    counts = pd.DataFrame(
        {
            "detections": grouped.size(),
            "events": grouped["independent"].sum(),
            "individuals": grouped["deer_id"].nunique(),
        }
    )
    if "provenance" in ev.columns:  # share of the station's boxes a reviewer identified
        counts["reviewed_share"] = (ev["provenance"] == "confirmed").groupby(ev["station"]).mean()
    table = effort.join(counts, how="outer")
    for col in ("detections", "events", "individuals", "deployments"):
        table[col] = table[col].fillna(0).astype(int)
    table["trap_nights"] = table["trap_nights"].fillna(0.0)
    table["cameras"] = table["cameras"].fillna("")
    table["detections_per_100"] = per_100(table["detections"], table["trap_nights"])
    table["events_per_100"] = per_100(table["events"], table["trap_nights"])
    table.index.name = "station"
    return table.reset_index()

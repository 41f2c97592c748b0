"""Per-deer sightings and capture histories (who was seen on which sampling occasion)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from deertrack_core.analysis.activity import GroupBy, all_periods, period_start
from deertrack_core.analysis.events import independent_events


def identified(df: pd.DataFrame) -> pd.DataFrame:
    """Only the detections tied to an individual deer."""
    return df[df["deer_id"].notna()]


def deer_summary(df: pd.DataFrame, minutes: float) -> pd.DataFrame:
    """One row per deer: name, sex/age class, first/last seen, detections, events, stations.

    Sorted by first sighting. The class is the deer's most frequent class among its detections.
    ``confirmed`` / ``automatic``: its detections identified by a reviewer / by the machine.
    """
    ids = identified(df)
    if "independent" not in ids.columns:
        ids = independent_events(ids, minutes)
    if ids.empty:
        return pd.DataFrame(
            columns=[
                "deer_id",
                "deer_name",
                "sex_age",
                "first_seen",
                "last_seen",
                "detections",
                "events",
                "stations",
                "days_seen",
                "confirmed",
                "automatic",
            ]
        )
    grouped = ids.groupby("deer_id")
    table = pd.DataFrame(
        {
            "deer_name": grouped["deer_name"].first(),
            "sex_age": grouped["sex_age"].agg(lambda s: s.value_counts().index[0]),
            "first_seen": grouped["captured_at"].min(),
            "last_seen": grouped["captured_at"].max(),
            "detections": grouped.size(),
            "events": grouped["independent"].sum().astype(int),
            "stations": grouped["station"].nunique(),
            "days_seen": grouped["captured_at"].agg(lambda s: s.dt.date.nunique()),
            # how the deer's detections were identified (see analysis.provenance)
            "confirmed": _provenance_count(ids, grouped, "confirmed"),
            "automatic": _provenance_count(ids, grouped, "automatic"),
        }
    )
    table.index.name = "deer_id"
    return table.reset_index().sort_values(["first_seen", "deer_id"]).reset_index(drop=True)


def _provenance_count(ids: pd.DataFrame, grouped, which: str) -> pd.Series:
    if "provenance" not in ids.columns:
        return grouped.size() * 0
    return (ids["provenance"] == which).groupby(ids["deer_id"]).sum().astype(int)


def sightings_per_station(df: pd.DataFrame, deer_id: int, minutes: float) -> pd.DataFrame:
    """For one deer: per station, detections, events, first and last seen."""
    one = df[df["deer_id"] == deer_id]
    if "independent" not in one.columns:
        one = independent_events(one, minutes)
    grouped = one.groupby("station")
    return (
        pd.DataFrame(
            {
                "detections": grouped.size(),
                "events": grouped["independent"].sum().astype(int),
                "first_seen": grouped["captured_at"].min(),
                "last_seen": grouped["captured_at"].max(),
            }
        )
        .reset_index()
        .sort_values("first_seen")
        .reset_index(drop=True)
    )


def capture_history(
    df: pd.DataFrame,
    occasion: GroupBy = "week",
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Deer × sampling occasion matrix of 0/1 (seen at least once in the occasion).

    Rows are deer ids, columns the occasions' first days; every occasion in ``[start, end]``
    is a column even when nobody was seen.
    """
    ids = identified(df)
    occ = period_start(ids["captured_at"], occasion)
    matrix = pd.crosstab(ids["deer_id"], occ).clip(upper=1)
    if start is not None and end is not None:
        matrix = matrix.reindex(columns=all_periods(start, end, occasion), fill_value=0)
    matrix.columns.name = "occasion"
    return matrix.astype(int)

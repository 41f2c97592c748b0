"""What the Overview and a deer's page compute from the archive's rows (pure pandas).

The rows come from ``deertrack_core.analysis.load.load_detections`` (each with its identity's
``provenance``, scoped to "confirmed only" when asked); these turn them into the weekly series
with reviewed coverage and the per-station table the map draws.
"""

from __future__ import annotations

import pandas as pd

from deertrack_core.analysis import activity, effort

#: Independence interval for the stations' event counts (camtrapR's customary 30 minutes).
MINUTES = 30.0


def weekly(df: pd.DataFrame) -> pd.DataFrame:
    """Per ISO week from the first to the last photo: distinct deer counted (in the rows'
    scope), distinct deer with a reviewer's identity, the deer boxes, and the share of them a
    reviewer identified (``reviewed_share``, NaN in a week without boxes)."""
    cols = ["period", "individuals", "individuals_confirmed", "boxes", "reviewed_share"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    start, end = df["captured_at"].min().date(), df["captured_at"].max().date()
    cover = activity.review_coverage(df, "week", start=start, end=end)
    ids = df[df["deer_id"].notna()]
    counted = ids.groupby(activity.period_start(ids["captured_at"], "week"))["deer_id"].nunique()
    cover["individuals"] = cover["period"].map(counted).fillna(0).astype(int)
    return cover[cols]


def identity_counts(df: pd.DataFrame) -> dict[str, int]:
    """Distinct deer counted, and how many of them a reviewer has identified at least once."""
    ids = df[df["deer_id"].notna()]
    confirmed = ids[ids["provenance"] == "confirmed"]["deer_id"].nunique()
    return {"individuals": int(ids["deer_id"].nunique()), "confirmed": int(confirmed)}


def stations(df: pd.DataFrame, deployments: pd.DataFrame) -> pd.DataFrame:
    """Per station: coordinates (the mean of its deployments'), trap nights, detections,
    events, distinct deer and detections per 100 trap nights; stations without coordinates
    are kept with NaN (the map leaves them out and says so)."""
    table = effort.camera_summary(df, deployments, MINUTES)
    where = deployments.groupby("station")[["latitude", "longitude"]].mean()
    ids = deployments.groupby("station")["deployment_id"].apply(lambda s: tuple(sorted(s)))
    table = table.join(where, on="station").join(ids.rename("deployment_ids"), on="station")
    table["deployment_ids"] = table["deployment_ids"].apply(
        lambda v: v if isinstance(v, tuple) else ()
    )
    return table


def deer_stations(df: pd.DataFrame, deployments: pd.DataFrame, deer_id: int) -> pd.DataFrame:
    """:func:`stations` for one deer's detections (every station kept, zeros included)."""
    return stations(df[df["deer_id"] == deer_id], deployments)

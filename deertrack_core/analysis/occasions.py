"""Sampling occasions (day, week or month) and the camera effort inside each.

Capture histories, the secr traps file and camtrapR's detection history all cut the season into
occasions and need to know how long each station's cameras ran in each one: an occasion without
any operating camera is no evidence that a deer was absent.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from deertrack_core.analysis.activity import GroupBy, all_periods, period_start
from deertrack_core.analysis.effort import operating_periods

#: "22 weekly occasions"
ADJECTIVE = {"day": "daily", "week": "weekly", "month": "monthly"}


def periods(start: dt.date, end: dt.date, occasion: GroupBy) -> pd.DatetimeIndex:
    """The first day of every occasion that overlaps ``[start, end]``."""
    return all_periods(start, end, occasion)


def bounds(starts: pd.DatetimeIndex, end: dt.date) -> np.ndarray:
    """(K, 2) datetime64 bounds ``[start, next start)`` of each occasion; the last ends with
    ``end`` (whole day), the first begins no earlier than the period's first day."""
    stop = pd.Timestamp(end) + pd.Timedelta(days=1)
    ends = np.r_[starts[1:].to_numpy(), np.datetime64(stop.to_datetime64())]
    return np.column_stack([starts.to_numpy(), np.minimum(ends, stop.to_datetime64())])


def occasion_index(times: pd.Series, starts: pd.DatetimeIndex, occasion: GroupBy) -> np.ndarray:
    """Index of each time's occasion in ``starts``; -1 outside them."""
    first = period_start(times, occasion).to_numpy()
    idx = np.searchsorted(starts.to_numpy(), first)
    idx = np.minimum(idx, len(starts) - 1) if len(starts) else idx
    ok = len(starts) > 0 and (starts.to_numpy()[idx] == first)
    return np.where(ok, idx, -1) if len(starts) else np.full(len(times), -1)


def station_effort(
    deployments: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    occasion: GroupBy,
) -> pd.DataFrame:
    """Trap nights of each station in each occasion (stations × occasion starts; cameras of a
    station add up), from the deployments' operating periods clipped to ``[start, end]``."""
    starts = periods(start, end, occasion)
    b = bounds(starts, end)
    lo_range = np.datetime64(pd.Timestamp(start).to_datetime64())
    ops = operating_periods(deployments)
    op_start = ops["op_start"].to_numpy(dtype="datetime64[ns]")
    op_end = ops["op_end"].to_numpy(dtype="datetime64[ns]")
    lo = np.maximum(np.maximum(op_start[:, None], b[None, :, 0]), lo_range)
    hi = np.minimum(op_end[:, None], b[None, :, 1])
    known = ~(np.isnat(op_start) | np.isnat(op_end))  # no start/end and no photos: no effort
    nights = (hi - lo).astype("timedelta64[s]").astype(float) / 86400.0
    nights = np.where(known[:, None], np.clip(nights, 0.0, None), 0.0)
    table = pd.DataFrame(nights, index=ops["station"].to_numpy(), columns=starts)
    table = table.groupby(level=0).sum().round(3)
    table.index.name = "station"
    table.columns.name = "occasion"
    return table


def without_identities(df: pd.DataFrame, starts: pd.DatetimeIndex, occasion: GroupBy) -> np.ndarray:
    """Occasions whose animal photos carry no counted identity at all (nobody reviewed them,
    under "confirmed only", or the machine only proposed): no evidence of who was there, so a
    capture history must not read them as "nobody seen". Boolean per occasion start."""
    if df.empty or not len(starts):
        return np.zeros(len(starts), dtype=bool)
    boxes = df[df["provenance"] != "rejected"] if "provenance" in df.columns else df
    idx = occasion_index(boxes["captured_at"], starts, occasion)
    ok = idx >= 0
    photographed = np.bincount(idx[ok], minlength=len(starts)) > 0
    named = boxes["deer_id"].notna().to_numpy()[ok]
    identified = np.bincount(idx[ok][named], minlength=len(starts)) > 0
    return photographed & ~identified

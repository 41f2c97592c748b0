"""Independent events, as camtrapR's ``minDeltaTime``.

Records of the same subject at the same station closer together than N minutes count once.
The subject is the individual deer when the detection is identified, else its species (an
unidentified deer is only known to be "a deer"). Like camtrapR's
``deltaTimeComparedTo = "lastIndependentRecord"`` (the default here) a record is independent
when at least N minutes have passed since the last *independent* record of its subject at the
station; ``"lastRecord"`` compares with the previous record of any kind instead, so a steady
trickle of photos stays one event.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

CompareTo = Literal["lastIndependentRecord", "lastRecord"]


def subject_key(df: pd.DataFrame) -> pd.Series:
    """``deer:<id>`` for identified detections, ``species:<name>`` otherwise."""
    species = df["species"].fillna("unidentified").astype(str)
    deer = df["deer_id"]
    key = "species:" + species
    has_deer = deer.notna()
    key = key.where(~has_deer, "deer:" + deer.astype("string").fillna(""))
    return key


def _flags(seconds: np.ndarray, groups: np.ndarray, min_gap: float, compare_to: CompareTo):
    """Per sorted record: independent?, seconds since the previous record of its group."""
    n = len(seconds)
    independent = np.zeros(n, dtype=bool)
    delta = np.full(n, np.nan)
    new_group = np.ones(n, dtype=bool)
    if n:
        new_group[1:] = groups[1:] != groups[:-1]
        delta[1:] = seconds[1:] - seconds[:-1]
        delta[new_group] = np.nan
    if compare_to == "lastRecord" or min_gap <= 0:
        independent = new_group | (delta >= min_gap)
        return independent, delta
    last = -np.inf
    for i in range(n):  # sequential by nature; ~100 ns a row, fine for 10^5 rows
        if new_group[i] or seconds[i] - last >= min_gap:
            independent[i] = True
            last = seconds[i]
    return independent, delta


def independent_events(
    df: pd.DataFrame,
    minutes: float,
    *,
    compare_to: CompareTo = "lastIndependentRecord",
    station_col: str = "station",
    time_col: str = "captured_at",
) -> pd.DataFrame:
    """Flag each record and number the events.

    Returns a copy sorted by station, subject and time with ``subject`` (see
    :func:`subject_key`), ``independent`` (bool: the record opens an event), ``event_id``
    (records of one event share it, numbered from 1) and ``delta_s`` (seconds since the previous
    record of the same subject at the station; NaN for the first). ``minutes`` ≥ 0; 0 makes every
    record its own event.
    """
    if minutes < 0:
        raise ValueError("minutes must be ≥ 0")
    out = df.copy()
    out["subject"] = subject_key(out) if len(out) else pd.Series(dtype=str)
    out = out.sort_values([station_col, "subject", time_col], kind="stable")
    seconds = out[time_col].to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    groups = (out[station_col].astype(str) + "\x1f" + out["subject"]).to_numpy()
    independent, delta = _flags(seconds, groups, minutes * 60.0, compare_to)
    out["independent"] = independent
    out["event_id"] = np.cumsum(independent)
    out["delta_s"] = delta
    return out


def count_events(df: pd.DataFrame, minutes: float, **kwargs) -> int:
    """Number of independent events in ``df``."""
    if df.empty:
        return 0
    return int(independent_events(df, minutes, **kwargs)["independent"].sum())

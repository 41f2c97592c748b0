"""Activity over a season: counts per day/week/month and per hour of day, by sex/age class.

Three counts, as biologists read them: *detections* (boxes), *independent events* (see
:mod:`deertrack_core.analysis.events`; an event belongs to the period and class of the record that
opened it) and *distinct individuals* (identified deer seen in the period).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd

from deertrack_core.analysis.events import independent_events
from deertrack_core.models import SexAge
from deertrack_core.weeks import week_label

GroupBy = Literal["day", "week", "month"]

#: Sex/age classes in the order charts and tables show them.
CLASSES = [SexAge.BUCK.value, SexAge.DOE.value, SexAge.FAWN.value, SexAge.UNKNOWN.value]


def period_start(times: pd.Series, group_by: GroupBy) -> pd.Series:
    """The first day of each time's period: the day, the Monday of its ISO week, the 1st."""
    days = pd.to_datetime(times).dt.normalize()
    if group_by == "day":
        return days
    if group_by == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    if group_by == "month":
        return days - pd.to_timedelta(days.dt.day - 1, unit="D")
    raise ValueError(f"group_by must be day, week or month, not {group_by!r}")


def all_periods(start: dt.date, end: dt.date, group_by: GroupBy) -> pd.DatetimeIndex:
    """Every period start between two dates, so empty periods show as zero."""
    first = period_start(pd.Series([pd.Timestamp(start)]), group_by).iloc[0]
    freq = {"day": "D", "week": "W-MON", "month": "MS"}[group_by]
    return pd.date_range(first, pd.Timestamp(end), freq=freq)


def period_label(period: pd.Timestamp, group_by: GroupBy) -> str:
    if group_by == "month":
        return period.strftime("%Y-%m")
    if group_by == "week":
        return week_label(period.date())  # the same ISO week labels as the dashboard
    return period.strftime("%Y-%m-%d")


def _with_events(df: pd.DataFrame, minutes: float) -> pd.DataFrame:
    if "independent" in df.columns:
        return df
    return independent_events(df, minutes)


def activity_table(
    df: pd.DataFrame,
    group_by: GroupBy,
    minutes: float,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """One row per (period, sex/age class): detections, events, individuals.

    Every period between ``start`` and ``end`` (default: the data's span) and every class in
    :data:`CLASSES` appears, with zeros where nothing was seen.
    """
    ev = _with_events(df, minutes)
    ev = ev.assign(period=period_start(ev["captured_at"], group_by))
    grouped = ev.groupby(["period", "sex_age"])
    table = pd.DataFrame(
        {
            "detections": grouped.size(),
            "events": grouped["independent"].sum(),
            "individuals": grouped["deer_id"].nunique(),
        }
    )
    if start is None or end is None:
        if ev.empty:
            return table.reset_index()
        start = start or ev["captured_at"].min().date()
        end = end or ev["captured_at"].max().date()
    classes = CLASSES + sorted(set(ev["sex_age"]) - set(CLASSES))
    index = pd.MultiIndex.from_product(
        [all_periods(start, end, group_by), classes], names=["period", "sex_age"]
    )
    table = table.reindex(index, fill_value=0).astype(int).reset_index()
    return table


def period_totals(
    df: pd.DataFrame,
    group_by: GroupBy,
    minutes: float,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """One row per period: detections, events and distinct individuals over all classes.

    (Individuals are counted over the whole period, not summed over classes: a deer whose
    class was corrected mid-period still counts once.)
    """
    ev = _with_events(df, minutes)
    ev = ev.assign(period=period_start(ev["captured_at"], group_by))
    grouped = ev.groupby("period")
    table = pd.DataFrame(
        {
            "detections": grouped.size(),
            "events": grouped["independent"].sum(),
            "individuals": grouped["deer_id"].nunique(),
        }
    )
    if start is not None and end is not None:
        table = table.reindex(all_periods(start, end, group_by), fill_value=0)
    table.index.name = "period"
    return table.astype(int).reset_index()


def review_coverage(
    df: pd.DataFrame,
    group_by: GroupBy,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Per period: deer boxes by identity provenance, the share a reviewer identified, and
    distinct individuals counting confirmed identities only.

    A period where nobody has reviewed yet reads ``reviewed_share`` 0 (or NaN without boxes),
    so a fall in identified deer can be told from a fall in deer.
    """
    prov = df["provenance"] if "provenance" in df.columns else pd.Series(dtype=str)
    ev = df.assign(period=period_start(df["captured_at"], group_by), _prov=prov)
    ev = ev[ev["_prov"] != "rejected"]
    counts = pd.crosstab(ev["period"], ev["_prov"]) if len(ev) else pd.DataFrame()
    table = pd.DataFrame(index=counts.index)
    for name in ("confirmed", "automatic", "proposed", "unidentified"):
        table[name] = counts[name] if name in counts.columns else 0
    confirmed = ev[ev["_prov"] == "confirmed"]
    raw_ids = confirmed["deer_id"] if "deer_id" in confirmed.columns else pd.Series(dtype=float)
    table["individuals_confirmed"] = raw_ids.groupby(confirmed["period"]).nunique()
    if start is not None and end is not None:
        table = table.reindex(all_periods(start, end, group_by))
    table = table.fillna(0).astype(int)
    boxes = table[["confirmed", "automatic", "proposed", "unidentified"]].sum(axis=1)
    table["boxes"] = boxes
    table["reviewed_share"] = (table["confirmed"] / boxes.where(boxes > 0)).round(3)
    table.index.name = "period"
    return table.reset_index()


def hourly_activity(df: pd.DataFrame, minutes: float) -> pd.DataFrame:
    """Independent events per hour of day (0–23) and sex/age class, zeros included."""
    ev = _with_events(df, minutes)
    ev = ev[ev["independent"]]
    counts = ev.groupby([ev["captured_at"].dt.hour.rename("hour"), "sex_age"]).size()
    classes = CLASSES + sorted(set(ev["sex_age"]) - set(CLASSES))
    index = pd.MultiIndex.from_product([range(24), classes], names=["hour", "sex_age"])
    return counts.reindex(index, fill_value=0).rename("events").reset_index()


def season_summary(df: pd.DataFrame, minutes: float) -> dict[str, int]:
    """Whole-range totals: detections, events, individuals, stations, photos."""
    ev = _with_events(df, minutes)
    return {
        "detections": len(ev),
        "events": int(ev["independent"].sum()) if len(ev) else 0,
        "individuals": int(ev["deer_id"].nunique()),
        "stations": int(ev["station"].nunique()),
        "images": int(ev["image_id"].nunique()),
    }

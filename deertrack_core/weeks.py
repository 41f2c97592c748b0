"""Week labels: ISO 8601 weeks (Monday first; week 1 holds the year's first Thursday), the same on
every page and in every report. "2026-W01" is the week of Monday 29 December 2025."""

from __future__ import annotations

import datetime as dt


def week_start(day: dt.date | dt.datetime) -> dt.date:
    """The Monday of the ISO week holding ``day``."""
    d = day.date() if isinstance(day, dt.datetime) else day
    return d - dt.timedelta(days=d.weekday())


def iso_week(day: dt.date | dt.datetime) -> str:
    """``"2026-W01"``: the ISO year and week number of ``day``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_label(day: dt.date | dt.datetime) -> str:
    """``"2026-W01 (29 Dec)"``: the ISO week and the date of its Monday, for axes and tables."""
    monday = week_start(day)
    return f"{iso_week(monday)} ({monday.day} {monday:%b})"

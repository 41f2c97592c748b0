"""ISO week labels, checked at the year boundaries where "%W" and "yearweek" go wrong."""

import datetime as dt

import pytest

from deertrack_core.weeks import iso_week, week_label, week_start


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (dt.date(2025, 12, 29), "2026-W01"),  # a Monday in December, already 2026's week 1
        (dt.date(2026, 1, 1), "2026-W01"),
        (dt.date(2026, 1, 4), "2026-W01"),  # the Sunday that ends it
        (dt.date(2027, 1, 1), "2026-W53"),  # a Friday: still 2026's last week
        (dt.datetime(2025, 9, 1, 23, 59), "2025-W36"),
    ],
)
def test_iso_weeks(day, week):
    assert iso_week(day) == week


def test_week_label_names_the_monday():
    assert week_start(dt.date(2026, 1, 1)) == dt.date(2025, 12, 29)
    assert week_label(dt.datetime(2026, 1, 3, 6, 0)) == "2026-W01 (29 Dec)"

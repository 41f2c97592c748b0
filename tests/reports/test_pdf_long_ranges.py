"""A long date range with a short season: no pages of empty periods in the seasonal PDF."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from deertrack_core.reports import periods
from deertrack_core.reports.build import build_export
from tests.reports.conftest import pdf_pages, pdf_text, sqlite_only


@sqlite_only
def test_three_years_of_weeks_fold_the_empty_runs(archive, make_request, tmp_path, db_url):
    request = make_request("seasonal_activity", group_by="week",
                           start_date=dt.date(2023, 1, 1), end_date=dt.date(2025, 12, 31))  # fmt: skip
    path = build_export(request, tmp_path, url=db_url)
    text = pdf_text(path)
    # 158 weeks, two with photos: one row for the 74 weeks before, one for the 82 after
    assert re.search(r"2022-W52 \(26 Dec\) – 2024-W21 \(20 May\): 74 weeks without detections",
                     text)  # fmt: skip
    assert "82 weeks without detections" in text
    assert "2023-W10" not in text  # no row of its own
    assert "2024-W22 (27 May)" in text and "2024-W23 (3 Jun)" in text
    assert "left out of the charts" in text
    short = build_export(make_request("seasonal_activity", group_by="week"), tmp_path / "s",
                         url=db_url)  # fmt: skip
    assert pdf_pages(path) == pdf_pages(short)  # the long range costs no extra page


def test_fold_empty_keeps_single_empty_periods_and_folds_runs():
    rows = [[f"W{i}", i] for i in range(7)]
    empty = [True, True, False, True, False, True, True]
    out = periods.fold_empty(rows, empty, "week", 2)
    assert out == [["W0 – W1: 2 weeks without detections", ""], ["W2", 2], ["W3", 3],
                   ["W4", 4], ["W5 – W6: 2 weeks without detections", ""]]  # fmt: skip


def test_busy_span_and_the_charts_note():
    p = pd.date_range("2024-01-01", periods=6, freq="W-MON")
    totals = pd.DataFrame({"period": p, "detections": [0, 3, 0, 1, 0, 0]})
    span = periods.busy_span(totals)
    assert span == (p[1], p[3])
    assert list(periods.within(totals, span)["detections"]) == [3, 0, 1]
    note = periods.trimmed_note(totals, span, "week", lambda x: x.strftime("%d %b"))
    assert "1 week before 08 Jan" in note and "2 weeks after 22 Jan" in note
    assert periods.busy_span(totals.assign(detections=0)) is None


def test_individual_timelines_span_the_season_not_the_range():
    from types import SimpleNamespace

    from deertrack_core.reports.pdf_individuals import _season

    times = pd.Series(pd.to_datetime(["2025-09-03 19:34", "2026-01-12 16:19"]))
    inputs = SimpleNamespace(detections=pd.DataFrame({"captured_at": times}),
                             start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31))  # fmt: skip
    assert _season(inputs) == (dt.date(2025, 9, 3), dt.date(2026, 1, 12))
    inputs.start = dt.date(2025, 10, 1)  # the range cuts the season: the range wins
    assert _season(inputs) == (dt.date(2025, 10, 1), dt.date(2026, 1, 12))

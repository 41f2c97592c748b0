"""build_export: dispatch, file names, progress and atomic writes."""

from __future__ import annotations

import pytest

from deertrack_core.reports import build
from tests.reports.conftest import sqlite_only


def test_each_report_type_writes_its_format(archive, make_request, tmp_path, db_url):
    from deertrack_core.reports.request import REPORT_TYPES

    suffixes = {
        t: build.build_export(make_request(t), tmp_path, url=db_url).suffix for t in REPORT_TYPES
    }
    assert suffixes == {
        "seasonal_activity": ".pdf",
        "individual_history": ".pdf",
        "camera_summary": ".pdf",
        "detections_csv": ".csv",
        "record_table_csv": ".csv",
        "camtrap_dp": ".zip",
        "secr_capthist": ".zip",
        "mark_inp": ".inp",
        "detection_history": ".zip",
        "scores_csv": ".csv",
        "scores_parquet": ".parquet",
        "megadetector_json": ".json",
    }


@sqlite_only
def test_progress_runs_from_zero_to_done(archive, make_request, tmp_path, db_url):
    calls = []
    build.build_export(make_request("camera_summary"), tmp_path, url=db_url,
                       progress=lambda d, t, m="": calls.append((d, t)))  # fmt: skip
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


@sqlite_only
def test_file_name_says_type_and_range(archive, make_request, tmp_path, db_url):
    path = build.build_export(make_request("detections_csv"), tmp_path, url=db_url)
    assert path.name.startswith("detections_csv_2024-06-01_2024-06-14_")


@sqlite_only
def test_failure_leaves_no_file_behind(archive, make_request, tmp_path, db_url, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(build.WRITERS, "camera_summary", broken)
    with pytest.raises(RuntimeError, match="boom"):
        build.build_export(make_request("camera_summary"), tmp_path / "out", url=db_url)
    assert list((tmp_path / "out").iterdir()) == []


@sqlite_only
def test_empty_range_still_writes_a_report(archive, make_request, tmp_path, db_url):
    import datetime as dt

    request = make_request(
        "seasonal_activity", start_date=dt.date(2023, 1, 1), end_date=dt.date(2023, 1, 31)
    )
    assert build.build_export(request, tmp_path, url=db_url).stat().st_size > 0


@sqlite_only
def test_open_date_range_is_named_all_dates(archive, make_request, tmp_path, db_url):
    request = make_request("record_table_csv", start_date=None, end_date=None)
    assert "_all-dates_" in build.build_export(request, tmp_path, url=db_url).name

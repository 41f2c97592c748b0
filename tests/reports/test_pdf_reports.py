"""PDF reports over the small archive: page counts and text (read back with pdftotext)."""

from __future__ import annotations

import re

from deertrack_core.reports.build import build_export
from tests.reports.conftest import pdf_pages, pdf_text, sqlite_only


@sqlite_only
def test_seasonal_activity_cover_says_range_filters_and_synthetic(
    archive, make_request, tmp_path, db_url
):
    path = build_export(make_request("seasonal_activity", group_by="week"), tmp_path, url=db_url)
    text = pdf_text(path)
    assert "Seasonal activity report" in text
    assert "01 Jun 2024 – 14 Jun 2024" in text
    assert "Synthetic data" in text
    assert "30 minutes" in text and "week" in text


@sqlite_only
def test_seasonal_activity_pages_and_footer(archive, make_request, tmp_path, db_url):
    path = build_export(make_request("seasonal_activity", group_by="day"), tmp_path, url=db_url)
    pages = pdf_pages(path)
    text = pdf_text(path)
    assert pages == 5  # cover, activity, hour of day + methods, population, daily table
    assert f"Page {pages} of {pages}" in text
    assert "generated" in text


@sqlite_only
def test_seasonal_activity_table_totals(archive, make_request, tmp_path, db_url):
    text = pdf_text(
        build_export(make_request("seasonal_activity", group_by="month"), tmp_path, url=db_url)
    )
    # month row: buck 1, doe 3, fawn 1, unknown 1 events; 8 detections, 6 events, 3 individuals
    assert re.search(r"2024-06\s+1\s+3\s+1\s+1\s+8\s+6\s+3", text)
    assert "Activity by hour of day" in text
    assert "Minimum known alive" in text


@sqlite_only
def test_cover_states_which_identities_every_count_includes(
    archive, make_request, tmp_path, db_url
):
    text = pdf_text(build_export(make_request("seasonal_activity"), tmp_path, url=db_url))
    assert "Identities counted" in text
    assert "Confirmed and automatic identities — the default" in text
    # 5 confirmed, 2 automatic (AUTO status), 1 pending box; the rejected one is left out
    assert re.search(r"5\s+confirmed\s+by\s+a\s+reviewer,\s+2\s+automatic,\s+1\s+proposed", text)
    assert "distinct individuals" in text and "(confirmed + automatic)" in text
    only = pdf_text(build_export(make_request("seasonal_activity", confirmed_only=True),
                                 tmp_path / "only", url=db_url))  # fmt: skip
    assert "Confirmed identities only" in only and "(confirmed only)" in only


@sqlite_only
def test_population_page_shows_both_intervals_for_every_model(
    archive, make_request, tmp_path, db_url
):
    text = pdf_text(build_export(make_request("seasonal_activity", group_by="day"), tmp_path,
                                 url=db_url))  # fmt: skip
    assert "Population size" in text
    assert re.search(r"sampling\s", text) and "With ID error" in text
    for model in ("M0", "Mt", "Mb", "Mh2"):
        assert re.search(rf"\b{model}\b", text)
    assert "Chapman" in text and "Schnabel" in text
    # No score evidence in this archive: the report says why there is no ID-error draw.
    assert "No ID-error interval" in text


@sqlite_only
def test_individual_history_has_a_section_per_deer(archive, make_request, tmp_path, db_url):
    path = build_export(make_request("individual_history"), tmp_path, url=db_url)
    text = pdf_text(path)
    assert pdf_pages(path) == 2 + 3
    for name in ("Doe-1", "Buck-2", "Fawn-3"):
        assert name in text
    assert "2024-06-01 06:00 at A" in text  # Doe-1 first seen
    assert "photo not available" not in text
    # Doe-1: 3 of its 4 detections confirmed, one automatic
    assert re.search(r"3 detections confirmed by a\s+reviewer, 1 automatic", text)


@sqlite_only
def test_individual_history_survives_missing_photos(archive, make_request, tmp_path, db_url):
    for photo in (archive["root"] / "photos").iterdir():
        photo.unlink()
    text = pdf_text(build_export(make_request("individual_history"), tmp_path / "o", url=db_url))
    assert "photo not available" in text


@sqlite_only
def test_camera_summary_rates_per_100_trap_nights(archive, make_request, tmp_path, db_url):
    path = build_export(make_request("camera_summary"), tmp_path, url=db_url)
    text = pdf_text(path)
    assert pdf_pages(path) == 2
    # station A: 10 trap nights, 5 detections, 4 events, 2 deer, 50 and 40 per 100 TN
    assert re.search(r"A\s+cam1\s+10\.00\s+5\s+4\s+2\s+50\.00\s+40\.00", text)
    assert re.search(r"C\s+cam3\s+0\.00\s+0\s+0\s+0", text)
    assert "Reviewed" in text
    assert re.search(r"A\s+cam1.*40\.00\s+60\b", text)  # 3 of station A's 5 boxes reviewed


def test_exemplar_is_the_chosen_detection_else_the_best_reviewed_view():
    import pandas as pd

    from deertrack_core.reports.pdf_individuals import exemplar_row

    rows = pd.DataFrame(
        {
            "detection_id": [1, 2, 3],
            "match_status": ["auto", "confirmed", "auto"],
            "confidence": [0.99, 0.6, 0.7],
            "w": [0.1, 0.2, 0.5],
            "h": [0.1, 0.2, 0.5],
        }
    )
    assert exemplar_row(rows, 3)["detection_id"] == 3
    assert exemplar_row(rows, None)["detection_id"] == 2
    assert exemplar_row(rows, 99)["detection_id"] == 2


@sqlite_only
def test_camera_summary_cover_does_not_claim_a_grouping(archive, make_request, tmp_path, db_url):
    text = pdf_text(build_export(make_request("camera_summary"), tmp_path, url=db_url))
    assert "Grouping" not in text

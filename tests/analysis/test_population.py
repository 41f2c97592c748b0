"""Provenance and the population report on a real archive (SQLite and PostgreSQL): reviewed
deer, then machine matching through the real matcher, then every estimator with both intervals."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from deertrack_core.analysis import occasions, provenance
from deertrack_core.analysis.load import load_detections
from deertrack_core.analysis.population import population_from_session
from tests.analysis.conftest import MODEL


def test_provenance_of_every_detection_and_the_machine_decisions(season, session):
    df = load_detections(session)
    counts = provenance.counts(df)
    assert counts["confirmed"] == 10 and counts["automatic"] == 12
    decided = provenance.attach_decisions(session, df)
    machine = decided[decided["provenance"] == "automatic"]
    assert set(machine["identity_model"]) == {MODEL}
    assert set(machine["identity_threshold"]) == {0.9}
    assert decided.loc[decided["provenance"] == "confirmed", "identity_model"].isna().all()
    assert provenance.machine_summary(decided) == f"{MODEL} at threshold 0.900"


def test_confirmed_only_blanks_machine_identities_but_keeps_the_boxes(season, session):
    everything = load_detections(session)
    confirmed = load_detections(session, confirmed_only=True)
    assert len(confirmed) == len(everything)
    assert confirmed["deer_id"].notna().sum() == 10
    assert (confirmed.loc[confirmed["deer_id"].isna(), "provenance"] == "automatic").all()


def test_population_report_has_both_intervals_for_every_model(season, session):
    report = population_from_session(session, occasion="week", replicates=40, seed=3)
    assert report.occasions == season["weeks"]
    assert report.seen == 5
    assert report.machine_model == f"{MODEL} at threshold 0.900"
    assert report.calibration["model"] == MODEL
    rows = {r["model"]: r for r in report.model_rows()}
    assert set(rows) == {"M0", "Mt", "Mb", "Mh2"}
    for row in rows.values():
        if row["estimate"] is None:
            continue
        s, i = row["sampling"], row["with_id_error"]
        if s["lower"] is not None:
            assert s["lower"] <= row["estimate"] <= s["upper"]
        assert i["lower"] <= i["estimate"] <= i["upper"]
    assert report.id_error.units == 12  # one decision per machine detection (no bursts)
    as_json = report.as_dict()
    assert as_json["identities"] == "confirmed and automatic identities"
    assert as_json["id_error"]["replicates"] == 40


def test_confirmed_only_report_has_the_sampling_interval_twice_and_says_why(season, session):
    report = population_from_session(session, occasion="week", confirmed_only=True,
                                     replicates=10)  # fmt: skip
    assert "confirmed identities only" in report.id_note
    for row in report.model_rows():
        if row["sampling"]["lower"] is not None:
            assert row["with_id_error"]["lower"] == row["sampling"]["lower"]


def test_sampling_only_report_is_the_same_fit_without_identity_draws(season, session):
    full = population_from_session(session, occasion="week", replicates=10, seed=3)
    quick = population_from_session(session, occasion="week", id_error=False)
    assert quick.id_error is None and "not computed" in quick.id_note
    assert [r["sampling"] for r in quick.model_rows()] == [
        r["sampling"] for r in full.model_rows()
    ]
    assert all(r["with_id_error"]["lower"] is None for r in quick.model_rows())


def test_occasions_without_any_camera_are_left_out():
    deps = pd.DataFrame({
        "station": ["A", "B"], "camera": ["", ""],
        "start": pd.to_datetime(["2024-06-03", "2024-06-03"]),
        "end": pd.to_datetime(["2024-06-10 00:00", "2024-06-05 12:00"]),
        "first_photo": pd.NaT, "last_photo": pd.NaT,
    })  # fmt: skip
    effort = occasions.station_effort(deps, dt.date(2024, 6, 3), dt.date(2024, 6, 23), "week")
    assert effort.loc["A"].tolist() == [7.0, 0.0, 0.0]
    assert effort.loc["B"].tolist() == [2.5, 0.0, 0.0]
    days = occasions.station_effort(deps, dt.date(2024, 6, 3), dt.date(2024, 6, 5), "day")
    assert days.loc["B"].tolist() == [1.0, 1.0, 0.5]


def test_occasions_with_photos_but_no_counted_identity_are_not_read_as_empty():
    starts = occasions.periods(dt.date(2024, 6, 3), dt.date(2024, 6, 23), "week")
    df = pd.DataFrame({
        "captured_at": pd.to_datetime(["2024-06-03 06:00", "2024-06-11 06:00",
                                       "2024-06-12 07:00", "2024-06-20 08:00"]),
        "deer_id": pd.array([1, None, None, None], dtype="Int64"),
        "provenance": ["confirmed", "automatic", "proposed", "rejected"],
    })  # fmt: skip
    # week 1: identified; week 2: photos, none counted; week 3: only a rejected box
    assert occasions.without_identities(df, starts, "week").tolist() == [False, True, False]


def test_confirmed_only_leaves_out_the_weeks_nobody_reviewed(season, session):
    report = population_from_session(session, occasion="week", confirmed_only=True,
                                     replicates=5)  # fmt: skip
    assert report.unidentified_occasions == 4  # weeks 3-6: only machine identities
    assert report.occasions == 2

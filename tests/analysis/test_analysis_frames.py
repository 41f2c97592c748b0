"""Pure analysis functions on small hand-made tables with known answers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from deertrack_core.analysis import abundance, activity, effort, events, histories


def frame(rows):
    """rows: (station, 'YYYY-mm-dd HH:MM', deer_id or None, species, sex_age)."""
    df = pd.DataFrame(rows, columns=["station", "captured_at", "deer_id", "species", "sex_age"])
    df["captured_at"] = pd.to_datetime(df["captured_at"])
    df["deer_id"] = df["deer_id"].astype("Int64")
    df["detection_id"] = range(1, len(df) + 1)
    df["image_id"] = df["detection_id"]
    df["deer_name"] = df["deer_id"].map(lambda i: f"D{i}" if pd.notna(i) else None)
    return df


DEER = "Odocoileus virginianus"
TABLE = frame(
    [
        ("A", "2024-06-01 06:00", 1, DEER, "doe"),
        ("A", "2024-06-01 06:10", 1, DEER, "doe"),  # same deer, 10 min: same event
        ("A", "2024-06-01 06:40", 1, DEER, "doe"),  # 40 min after the event opened: new
        ("A", "2024-06-01 06:15", 2, DEER, "buck"),  # another deer: its own event
        ("B", "2024-06-01 06:05", 1, DEER, "doe"),  # another station: its own event
        ("A", "2024-06-01 06:20", None, DEER, "unknown"),  # unidentified: species key
        ("A", "2024-06-01 06:45", None, DEER, "unknown"),  # 25 min later: same event
        ("A", "2024-06-02 07:00", None, "Procyon lotor", "unknown"),
    ]
)


def test_independent_events_on_a_table_with_known_answer():
    ev = events.independent_events(TABLE, 30)
    assert int(ev["independent"].sum()) == 6


def test_last_record_comparison_chains_a_steady_trickle():
    df = frame([("A", f"2024-06-01 06:{m:02d}", 1, DEER, "doe") for m in (0, 20, 40)])
    assert events.count_events(df, 30, compare_to="lastRecord") == 1
    assert events.count_events(df, 30) == 2


def test_zero_minutes_makes_every_record_an_event():
    assert events.count_events(TABLE, 0) == len(TABLE)


def test_negative_interval_is_refused():
    with pytest.raises(ValueError, match="minutes must be"):
        events.independent_events(TABLE, -1)


def test_delta_seconds_is_since_previous_record_of_the_subject():
    ev = events.independent_events(TABLE, 30)
    deer1_a = ev[(ev["station"] == "A") & (ev["deer_id"] == 1)]
    assert deer1_a["delta_s"].tolist()[1:] == [600.0, 1800.0]


def test_activity_table_splits_by_class_and_fills_empty_periods():
    table = activity.activity_table(
        TABLE, "day", 30, start=dt.date(2024, 5, 31), end=dt.date(2024, 6, 2)
    )
    june1 = table[table["period"] == pd.Timestamp("2024-06-01")].set_index("sex_age")
    assert june1.loc["doe", "events"] == 3
    assert june1.loc["buck", "individuals"] == 1
    assert table[table["period"] == pd.Timestamp("2024-05-31")]["detections"].sum() == 0


def test_period_totals_count_distinct_individuals_once():
    totals = activity.period_totals(TABLE, "month", 30)
    assert totals["individuals"].tolist() == [2]
    assert totals["detections"].tolist() == [8]


def test_week_periods_start_on_monday():
    s = pd.Series(pd.to_datetime(["2024-06-01 10:00", "2024-06-02 23:00", "2024-06-03 00:01"]))
    weeks = activity.period_start(s, "week")
    assert [d.date().isoformat() for d in weeks] == ["2024-05-27", "2024-05-27", "2024-06-03"]


def test_hourly_activity_has_24_hours_per_class():
    hourly = activity.hourly_activity(TABLE, 30)
    assert set(hourly["hour"]) == set(range(24))
    assert hourly[hourly["hour"] == 6]["events"].sum() == 5


DEPLOYMENTS = pd.DataFrame(
    {
        "deployment_id": [1, 2, 3],
        "station": ["A", "B", "C"],
        "camera": ["c1", "c2", "c3"],
        "start": pd.to_datetime(["2024-06-01 12:00", None, None]),
        "end": pd.to_datetime(["2024-06-11 12:00", None, None]),
        "first_photo": pd.to_datetime(["2024-06-02 00:00", "2024-06-01 06:00", None]),
        "last_photo": pd.to_datetime(["2024-06-03 00:00", "2024-06-05 06:00", None]),
    }
)


def test_trap_nights_from_deployment_periods_and_photo_fallback():
    tn = effort.trap_nights(DEPLOYMENTS)
    assert tn["trap_nights"].tolist() == [10.0, 4.0, 0.0]
    assert tn["period_source"].tolist() == ["deployment", "photos", "photos"]


def test_trap_nights_are_clipped_to_the_report_range():
    tn = effort.trap_nights(DEPLOYMENTS, dt.date(2024, 6, 1), dt.date(2024, 6, 4))
    assert tn["trap_nights"].tolist() == [3.5, 3.75, 0.0]


def test_camera_summary_rates_per_100_trap_nights():
    table = effort.camera_summary(TABLE, DEPLOYMENTS, 30).set_index("station")
    assert table.loc["A", "events"] == 5
    assert table.loc["A", "events_per_100"] == 50.0
    assert table.loc["B", "detections_per_100"] == 25.0
    assert pd.isna(table.loc["C", "events_per_100"])


def test_deer_summary_first_and_last_seen():
    summary = histories.deer_summary(TABLE, 30).set_index("deer_id")
    assert summary.loc[1, "detections"] == 4
    assert summary.loc[1, "stations"] == 2
    assert summary.loc[1, "last_seen"] == pd.Timestamp("2024-06-01 06:40")


def test_capture_history_is_zero_one_per_occasion():
    df = frame(
        [
            ("A", "2024-06-01 06:00", 1, DEER, "doe"),
            ("A", "2024-06-01 07:00", 1, DEER, "doe"),
            ("A", "2024-06-02 06:00", 2, DEER, "buck"),
        ]
    )
    h = histories.capture_history(df, "day", start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 3))
    assert h.to_numpy().tolist() == [[1, 0, 0], [0, 1, 0]]


def test_chapman_estimate_matches_the_formula():
    n_hat, _ = abundance.chapman(10, 12, 4)
    assert n_hat == pytest.approx(11 * 13 / 5 - 1)


def test_schnabel_on_a_known_history():
    # 3 occasions: C = [2, 2, 2], M = [0, 2, 3], R = [0, 1, 2] -> N = (0+4+6)/(3+1) = 2.5,
    # below the 3 deer seen: held at 3, and the note gives the formula's value.
    h = pd.DataFrame([[1, 1, 1], [1, 0, 1], [0, 1, 0]])
    est = abundance.schnabel(h)
    assert est.estimate == 3.0
    assert "the formula gives 2.5" in est.note


def test_minimum_known_alive_counts_deer_seen():
    h = pd.DataFrame([[1, 0], [0, 0], [0, 1]])
    assert abundance.minimum_known_alive(h).estimate == 2.0


def test_estimate_below_the_number_seen_says_so():
    # everyone seen on every occasion: the Schnabel formula is a little under the 3 deer seen
    h = pd.DataFrame([[1, 1, 1], [1, 1, 1], [1, 1, 1]])
    est = abundance.schnabel(h)
    assert est.estimate == 3.0
    assert "below the 3 deer seen" in est.note
    assert est.lower <= est.estimate <= est.upper

"""Provenance on the pages: which identities each count includes, one "confirmed only" choice
shared by the pages, reviewed coverage under the weekly deer, and the station map."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from deertrack_core.models import Deer, Deployment, Detection
from tests.ui.conftest import run_page
from ui import overview_view
from ui import state as K


@pytest.fixture
def machine_archive(archive, session):
    """The small archive, with coordinates on both stations and one automatic identity: a
    fourth deer only the machine has seen (so "confirmed only" counts one deer fewer)."""
    for dep, (lat, lon) in zip(
        session.scalars(select(Deployment).order_by(Deployment.id)),
        [(40.80, -77.87), (40.78, -77.86)],
        strict=True,
    ):
        dep.latitude, dep.longitude = lat, lon
    ghost = Deer(name="Deer 004", sex_age="buck")
    session.add(ghost)
    session.flush()
    det = session.scalars(
        select(Detection).where(Detection.match_status != "confirmed").order_by(Detection.id)
    ).first()
    det.deer_id, det.match_status, det.match_score = ghost.id, "auto", 0.97
    session.commit()
    archive.ghost = ghost.id
    return archive


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_overview_counts_say_which_identities_they_include(machine_archive):
    at = run_page("overview.py")
    assert not at.exception
    assert _metric(at, "Individual deer") == "4"
    said = " ".join(c.value for c in at.caption)
    assert "confirmed and automatic identities** (the default)" in said
    # the factory's tracks above its threshold are automatic, plus the fourth deer's box
    assert "3 are confirmed by a reviewer, 4 automatic" in said, said


def test_confirmed_only_holds_across_pages(machine_archive):
    at = run_page("overview.py")
    at.toggle(key=f"{K.CONFIRMED_ONLY_TOGGLE}_overview").set_value(True).run()
    assert not at.exception
    assert _metric(at, "Individual deer") == "3"
    assert "confirmed identities only" in " ".join(c.value for c in at.caption)
    at.switch_page("screens/individuals.py").run()
    assert not at.exception
    assert at.toggle(key=f"{K.CONFIRMED_ONLY_TOGGLE}_individuals").value is True
    # the machine-only deer has no card under "confirmed only"
    keys = {b.key for b in at.button}
    assert f"deer_open_{machine_archive.deer[0]}" in keys
    assert f"deer_open_{machine_archive.ghost}" not in keys


def test_gallery_cards_say_who_identified_the_sightings(machine_archive):
    at = run_page("individuals.py")
    assert not at.exception
    assert f"deer_open_{machine_archive.ghost}" in {b.key for b in at.button}
    assert any("identified: 1 automatic" in c.value for c in at.caption)
    assert any("identified: 1 confirmed" in c.value for c in at.caption)


def test_a_deer_page_says_who_identified_its_sightings(machine_archive):
    at = run_page("individuals.py", **{K.DEER_SELECTED: machine_archive.ghost})
    assert not at.exception
    assert any("identified: 1 automatic" in c.value for c in at.caption)
    assert len(at.get("vega_lite_chart")) == 2  # timeline and the deer's station map


def test_picking_a_station_filters_the_overview(machine_archive):
    at = run_page("overview.py")
    assert len(at.get("vega_lite_chart")) == 3  # detections, deer per week, the map
    assert at.selectbox(key=K.OV_STATION).options == ["Creek", "North"]
    at.selectbox(key=K.OV_STATION).set_value("Creek").run()
    assert not at.exception
    assert any("**Station Creek**" in c.value for c in at.caption)
    # the deer seen at Creek only (the factory alternates stations: 2 confirmed deer there)
    assert int(_metric(at, "Individual deer")) < 4


def test_a_map_click_picks_the_station():
    from streamlit.runtime.state import SessionState  # noqa: F401 - streamlit is importable

    from ui import station_map

    event = {"selection": {"station": [{"station": "Creek"}]}}
    assert station_map.clicked(event) == "Creek"
    assert station_map.clicked({"selection": {"station": []}}) is None
    assert station_map.clicked(None) is None


def test_weekly_series_tells_a_gap_in_review_from_a_gap_in_deer():
    t0 = pd.Timestamp("2025-10-06 06:00")  # a Monday
    df = pd.DataFrame({
        "captured_at": [t0, t0 + pd.Timedelta(days=1), t0 + pd.Timedelta(days=14)],
        "deer_id": pd.array([1, 2, 1], dtype="Int64"),
        "match_status": ["confirmed", "auto", "auto"],
        "provenance": ["confirmed", "automatic", "automatic"],
    })  # fmt: skip
    table = overview_view.weekly(df)
    assert list(table["period"].dt.date) == [dt.date(2025, 10, 6) + dt.timedelta(weeks=i)
                                             for i in range(3)]  # fmt: skip
    assert list(table["individuals"]) == [2, 0, 1]
    assert list(table["individuals_confirmed"]) == [1, 0, 0]
    assert table["reviewed_share"].iloc[0] == 0.5
    assert pd.isna(table["reviewed_share"].iloc[1])  # no boxes: no coverage, not zero
    assert table["reviewed_share"].iloc[2] == 0.0  # deer seen, none reviewed


def test_the_map_keeps_ground_distances_square():
    import math

    from ui import station_map

    lat = pd.Series([40.78, 40.81])
    lon = pd.Series([-77.875, -77.865])
    (x0, x1), (y0, y1) = station_map.square(lon, lat)
    # equal ground distance across and up: a degree of longitude is cos(lat) of one of latitude
    assert (x1 - x0) * math.cos(math.radians(40.795)) == pytest.approx(y1 - y0)
    assert x0 < lon.min() and x1 > lon.max() and y0 < lat.min() and y1 > lat.max()

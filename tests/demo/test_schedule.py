"""Activity pattern and sun times of the demo season (no drawing: fast)."""

from __future__ import annotations

import datetime as dt

from deertrack_core.demo.herd import make_herd
from deertrack_core.demo.scene import make_stations
from deertrack_core.demo.schedule import plan_season, season_days, sun_times


def _default_plan():
    stations = make_stations(7, 6)
    herd = make_herd(7, 24, 6, season_days(2025))
    return stations, herd, plan_season(7, herd, stations, 2025, 7.0)


def test_activity_peaks_at_dawn_and_dusk():
    stations, _, shots = _default_plan()
    twilight = midday = 0
    for s in shots:
        if not s.actors:
            continue
        st = stations[s.station]
        rise, sset = sun_times(s.when.date(), st.latitude, st.longitude)
        hour = s.when.hour + s.when.minute / 60
        if abs(hour - rise) <= 1.5 or abs(hour - sset) <= 1.5:
            twilight += 1  # 6 hours of the day
        elif rise + 3 <= hour <= sset - 3:
            midday += 1  # 3.5 (December) to 7 (September) hours
    assert twilight > 4 * midday > 0


def test_season_runs_september_to_january():
    _, _, shots = _default_plan()
    months = {s.when.month for s in shots}
    assert months == {9, 10, 11, 12, 1}


def test_default_season_has_a_few_hundred_photos_of_two_dozen_deer():
    _, herd, shots = _default_plan()
    seen = {a.deer for s in shots for a in s.actors}
    assert 400 <= len(shots) <= 800
    assert len(herd) == 24 and len(seen) == 24
    assert {d.sex_age for d in herd} == {"buck", "doe", "fawn"}


def test_bursts_are_seconds_apart():
    _, _, shots = _default_plan()
    by_event: dict[int, list[dt.datetime]] = {}
    for s in shots:
        by_event.setdefault(s.event, []).append(s.when)
    gaps = [(b - a).total_seconds() for times in by_event.values()
            for a, b in zip(sorted(times), sorted(times)[1:], strict=False)]  # fmt: skip
    assert gaps and max(gaps) <= 10


def test_sun_times_match_the_almanac():
    # State College, PA: 1 Sep 2025 sunrise 06:43, sunset 19:44 EDT; 15 Dec 07:27 / 16:44 EST.
    rise, sset = sun_times(dt.date(2025, 9, 1), 40.79, -77.86)
    assert abs(rise - (6 + 43 / 60)) < 0.1 and abs(sset - (19 + 44 / 60)) < 0.1
    rise, sset = sun_times(dt.date(2025, 12, 15), 40.79, -77.86)
    assert abs(rise - (7 + 27 / 60)) < 0.1 and abs(sset - (16 + 44 / 60)) < 0.1

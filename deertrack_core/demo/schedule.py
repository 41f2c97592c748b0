"""When and where the demo deer walk past the cameras.

Deer are crepuscular: most visits fall around sunrise and sunset (computed for each station and
day, in the local clock time the cameras keep, daylight saving included), fewer at night and few
at midday, except in the November rut. A visit is a burst of 2-5 photos seconds apart in which the
animals move a little; does bring their fawns along; bucks chase does in the rut. Some triggers are
empty (wind, sun on the vegetation).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from deertrack_core.demo.herd import DeerSpec
from deertrack_core.demo.scene import Station

#: Relative activity by month (September .. January); the rut peaks in November.
_MONTH = {9: 1.0, 10: 1.1, 11: 1.6, 12: 0.9, 1: 0.7}


@dataclass(frozen=True)
class Actor:
    deer: int  # index into the herd
    facing: str  # "right" | "left"
    pose: str
    x: float  # body centre, fraction of the image width
    dist: float  # 0 far (near the horizon) .. 1 close to the camera


@dataclass(frozen=True)
class Shot:
    station: int
    when: dt.datetime  # local camera time
    event: int
    frame: int
    actors: tuple[Actor, ...]
    light: str  # day | twilight | night
    minutes_from_sun: float  # to the nearer of sunrise and sunset (negative before)
    person: float | None = None  # a person servicing the camera, at this x (image fraction)


def season_start(year: int) -> dt.date:
    return dt.date(year, 9, 1)


def season_days(year: int) -> int:
    return (dt.date(year + 1, 2, 1) - season_start(year)).days


def utc_offset_hours(day: dt.date) -> int:
    """US Eastern time: daylight saving until the first Sunday of November."""
    nov1 = dt.date(day.year, 11, 1)
    first_sunday = nov1 + dt.timedelta(days=(6 - nov1.weekday()) % 7)
    mar1 = dt.date(day.year, 3, 1)
    second_sunday = mar1 + dt.timedelta(days=(6 - mar1.weekday()) % 7 + 7)
    return -4 if second_sunday <= day < first_sunday else -5


def sun_times(day: dt.date, lat: float, lon: float) -> tuple[float, float]:
    """Sunrise and sunset as hours of the local clock (NOAA approximation, within minutes)."""
    g = 2 * math.pi / 365 * (day.timetuple().tm_yday - 1)
    eqt = 229.18 * (0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
                    - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g))  # fmt: skip
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
            - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
            - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))  # fmt: skip
    la = math.radians(lat)
    cos_ha = math.cos(math.radians(90.833)) / (math.cos(la) * math.cos(decl)) - math.tan(
        la
    ) * math.tan(decl)
    ha = math.degrees(math.acos(max(-1.0, min(1.0, cos_ha))))
    off = utc_offset_hours(day) * 60
    rise = 720 - 4 * (lon + ha) - eqt + off
    sset = 720 - 4 * (lon - ha) - eqt + off
    return rise / 60.0, sset / 60.0


def _light(hour: float, rise: float, sset: float) -> tuple[str, float]:
    d_rise, d_set = (hour - rise) * 60, (hour - sset) * 60
    near = d_rise if abs(d_rise) < abs(d_set) else d_set
    if -25 <= d_rise <= 35 or -35 <= d_set <= 25:
        return "twilight", near
    return ("day" if rise < hour < sset else "night"), near


def _hour(rng: np.random.Generator, rise: float, sset: float, rut: bool) -> float:
    r = rng.random()
    mid = 0.12 if rut else 0.05
    if r < 0.42:
        h = rng.normal(rise + 0.05, 0.85)
    elif r < 0.84 - mid:
        h = rng.normal(sset - 0.05, 0.85)
    elif r < 0.84:
        h = rng.uniform(rise + 2.5, sset - 2.5)
    else:  # night
        h = (sset + 1.5 + rng.uniform(0, 24 - (sset - rise) - 3)) % 24
    return float(h % 24)


def plan_season(
    seed: int, herd: list[DeerSpec], stations: list[Station], year: int, visits_per_deer: float
) -> list[Shot]:
    """Every photo of the season, in time order per station."""
    start = season_start(year)
    days = season_days(year)
    n_events = max(1, round(len(herd) * visits_per_deer))
    weights = np.array([0.35 if d.sex_age == "fawn" else 1.0 for d in herd])
    shots: list[Shot] = []
    for k in range(n_events):
        rng = np.random.default_rng([seed, 5000 + k])
        lead = herd[int(rng.choice(len(herd), p=weights / weights.sum()))]
        day = _day(rng, lead, start, days)
        date = start + dt.timedelta(days=day)
        rut = date.month == 11
        group = _group(rng, lead, herd, day, rut)
        st = stations[int(rng.choice(len(stations), p=np.asarray(lead.home)))]
        rise, sset = sun_times(date, st.latitude, st.longitude)
        hour = _hour(rng, rise, sset, rut)
        when = dt.datetime.combine(date, dt.time()) + dt.timedelta(hours=hour)
        shots.extend(_burst(rng, k, st, when, group, herd, rise, sset))
    for k in range(max(1, round(n_events * 0.12))):  # empty triggers, mostly in the day
        rng = np.random.default_rng([seed, 7000 + k])
        st = stations[int(rng.integers(len(stations)))]
        date = start + dt.timedelta(days=int(rng.integers(days)))
        rise, sset = sun_times(date, st.latitude, st.longitude)
        hour = rng.uniform(rise + 1, sset - 1) if rng.random() < 0.8 else rng.uniform(0, 24)
        when = dt.datetime.combine(date, dt.time()) + dt.timedelta(hours=float(hour))
        shots.extend(_burst(rng, n_events + k, st, when, [], herd, rise, sset))
    shots.extend(_service_visits(seed, stations, start, n_events + len(shots)))
    shots.sort(key=lambda s: (s.station, s.when, s.event, s.frame))
    return shots


def _service_visits(seed: int, stations: list[Station], start: dt.date, first_event: int):
    """The first frames of every card: whoever set the camera up (and later checked it)."""
    out = []
    for st in stations:
        rng = np.random.default_rng([seed, 7500 + st.index])
        for v, day in enumerate((0, int(rng.integers(55, 75)))):
            when = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(10)) + dt.timedelta(
                minutes=float(rng.uniform(0, 300))
            )
            x = float(rng.uniform(0.25, 0.75))
            for f in range(int(rng.integers(2, 4))):
                t = when.replace(microsecond=0) + dt.timedelta(seconds=f * st.burst_interval_s)
                out.append(Shot(st.index, t, first_event + 2 * st.index + v, f, (), "day", 300.0,
                                x + f * float(rng.uniform(-0.08, 0.08))))  # fmt: skip
    return out


def _day(rng: np.random.Generator, lead: DeerSpec, start: dt.date, days: int) -> int:
    first = min(lead.arrival_day, days - 1)
    cand = np.arange(first, days)
    w = np.array([_MONTH[(start + dt.timedelta(days=int(c))).month] for c in cand])
    if lead.sex_age == "buck":
        w = w * np.array(
            [1.6 if (start + dt.timedelta(days=int(c))).month == 11 else 1.0 for c in cand]
        )
    return int(rng.choice(cand, p=w / w.sum()))


def _group(rng, lead: DeerSpec, herd: list[DeerSpec], day: int, rut: bool) -> list[DeerSpec]:
    group = [lead]
    if lead.sex_age == "doe":
        for fawn in herd:
            if fawn.mother == lead.index and fawn.arrival_day <= day and rng.random() < 0.22:
                group.append(fawn)
    elif lead.sex_age == "fawn" and lead.mother is not None and rng.random() < 0.4:
        group.append(herd[lead.mother])
    elif lead.sex_age == "buck" and rut and rng.random() < 0.15:
        does = [d for d in herd if d.sex_age == "doe"]
        if does:
            group.append(does[int(rng.integers(len(does)))])
    return group[:3]


def _burst(rng, event, st: Station, when, group, herd, rise, sset) -> list[Shot]:
    n = int(rng.choice([2, 3, 3, 3, 4, 5])) if group else int(rng.integers(1, 4))
    behaviour = str(rng.choice(["walk", "feed", "alert"], p=[0.45, 0.4, 0.15]))
    actors = _place(rng, group, behaviour)
    out = []
    offset = 0.0
    for f in range(n):
        if f:
            offset += st.burst_interval_s * float(rng.choice([1, 1, 2]))
        t = when + dt.timedelta(seconds=offset)
        hour = t.hour + t.minute / 60 + t.second / 3600
        light, near = _light(hour, rise, sset)
        out.append(Shot(st.index, t.replace(microsecond=0), event, f, tuple(actors), light, near))
        actors = [_step(rng, a, behaviour) for a in actors]
    return out


def _place(rng, group: list[DeerSpec], behaviour: str) -> list[Actor]:
    if not group:
        return []
    facing = str(rng.choice(["right", "left"]))
    dist = float(np.clip(rng.beta(2.2, 2.0), 0.05, 0.95))
    x = float(rng.uniform(0.2, 0.8))
    pose = {"walk": "walk", "feed": "graze", "alert": "alert"}[behaviour]
    actors = [Actor(group[0].index, facing, pose, x, dist)]
    for k, d in enumerate(group[1:], start=1):
        behind = -1 if facing == "right" else 1
        dx = behind * rng.uniform(0.15, 0.3) * k
        dd = float(np.clip(dist + rng.choice([-1, 1]) * rng.uniform(0.1, 0.3), 0.05, 0.95))
        p = pose if rng.random() < 0.6 else str(rng.choice(["stand", "graze"]))
        actors.append(Actor(d.index, facing, p, float(np.clip(x + dx, 0.05, 0.95)), dd))
    return actors


def _step(rng, a: Actor, behaviour: str) -> Actor:
    sign = 1 if a.facing == "right" else -1
    scale = 0.06 + 0.23 * a.dist  # nearer animals cross more of the frame per step
    if behaviour == "walk":
        dx, pose = rng.uniform(0.3, 0.55) * scale, str(rng.choice(["walk", "stand", "walk"]))
    elif behaviour == "feed":
        dx, pose = rng.uniform(-0.02, 0.1) * scale, str(rng.choice(["graze", "graze", "stand"]))
    else:
        dx, pose = rng.uniform(-0.03, 0.06) * scale, str(rng.choice(["alert", "stand"]))
    facing = a.facing
    if rng.random() < 0.06:
        facing = "left" if facing == "right" else "right"
    dist = float(np.clip(a.dist + rng.normal(0, 0.025), 0.03, 0.97))
    return Actor(a.deer, facing, pose, a.x + sign * dx, dist)

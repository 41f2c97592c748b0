"""The synthetic herd: who the demo deer are and what makes each one recognisable.

Every individual gets a fixed appearance drawn from a seeded generator: coat colour, body size and
build, a different pattern of marks on each flank (scars, pale spots, dark patches), ear notches or
a study ear tag, fawn spots, and for bucks an antler frame. Photos vary pose, distance, side,
light and noise; the individual stays the same.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

SEX_AGES = ("buck", "doe", "fawn")


@dataclass(frozen=True)
class Mark:
    """A mark on one flank, in body coordinates (x along the body -0.5..0.5, y -0.5 top..0.5)."""

    kind: str  # "scar" | "spot" | "patch"
    x: float
    y: float
    size: float
    angle: float  # degrees, for scars
    tone: float  # multiplier of the coat colour (>1 paler, <1 darker)


@dataclass(frozen=True)
class Antlers:
    points_per_side: tuple[int, int]  # (left, right) points per beam, counted like a hunter
    beam: float  # main beam length, in body lengths
    spread: float  # how far the far beam is offset (perspective of the spread)
    rise: float  # how steeply the beam rises before curving forward
    tine: float  # typical tine length, in body lengths
    brow: bool  # brow tines present
    broken: int  # index of a broken tine on the left beam, -1 for none


@dataclass(frozen=True)
class DeerSpec:
    index: int
    tag: str  # "D01"
    sex_age: str  # buck | doe | fawn
    length: float  # body length relative to a mature doe (1.0)
    depth: float  # body depth / body length
    neck: float  # neck thickness factor (bucks in the rut are thick-necked)
    leg: float  # leg length factor
    coat: tuple[int, int, int]  # summer coat (September)
    winter: tuple[int, int, int]  # winter coat (from late October)
    face: float  # face darkness multiplier
    back: float  # how dark the back is against the flank (1 = even)
    legs: float  # how grey the lower legs are (0 = coat colour)
    throat: float  # size of the white throat patch
    marks_left: tuple[Mark, ...]
    marks_right: tuple[Mark, ...]
    ear_notch: tuple[str, float] | None  # ("left"|"right", position along the ear 0..1)
    ear_tag: tuple[int, int, int] | None  # colour of a study ear tag
    fawn_spots: tuple[tuple[float, float, float], ...]  # (x, y, r) in body coordinates
    antlers: Antlers | None
    mother: int | None  # index of the doe a fawn follows
    home: tuple[float, ...]  # relative use of each camera station
    arrival_day: int  # first day of the season it can appear (0 = 1 September)
    shed_day: int  # day a buck drops its antlers (beyond the season = keeps them)
    description: str

    @property
    def name(self) -> str:
        return self.tag


def _coat(rng: np.random.Generator, fawn: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    hue = rng.uniform(0.066, 0.1)  # red-brown to tawny
    sat = rng.uniform(0.36, 0.76)
    val = rng.uniform(0.32, 0.78)
    if fawn:
        sat, val = sat * 1.05, min(val * 1.1, 0.85)
    summer = colorsys.hsv_to_rgb(hue, min(sat, 0.9), val)
    winter = colorsys.hsv_to_rgb(hue + rng.uniform(0.005, 0.02), sat * 0.68, val * 0.86)
    return tuple(int(c * 255) for c in summer), tuple(int(c * 255) for c in winter)


def _marks(rng: np.random.Generator, n: int) -> tuple[Mark, ...]:
    out = []
    for _ in range(n):
        kind = str(rng.choice(["scar", "spot", "patch"], p=[0.4, 0.35, 0.25]))
        tone = rng.uniform(1.45, 1.9) if kind != "patch" else rng.uniform(0.45, 0.65)
        size = {"scar": rng.uniform(0.18, 0.34), "spot": rng.uniform(0.05, 0.1)}.get(
            kind, rng.uniform(0.12, 0.22)
        )
        out.append(
            Mark(
                kind=kind,
                x=float(rng.uniform(-0.38, 0.3)),
                y=float(rng.uniform(-0.32, 0.12)),
                size=float(size),
                angle=float(rng.uniform(-60, 60)),
                tone=float(tone),
            )
        )
    return tuple(out)


def _antlers(rng: np.random.Generator, age: int) -> Antlers:
    base = {1: 2, 2: 3, 3: 4, 4: 5}[age]
    near = int(np.clip(base + rng.integers(-1, 1, endpoint=True), 1, 6))
    far = int(np.clip(near + rng.choice([-1, 0, 0, 0, 1]), 1, 6))
    return Antlers(
        points_per_side=(near, far),
        beam=float(rng.uniform(0.32, 0.42) + 0.05 * age),
        spread=float(rng.uniform(0.05, 0.12)),
        rise=float(rng.uniform(0.35, 0.75)),
        tine=float(rng.uniform(0.09, 0.13) + 0.02 * age),
        brow=bool(age >= 2 and rng.random() < 0.8),
        broken=int(rng.integers(0, near)) if rng.random() < 0.2 and near > 1 else -1,
    )


def _fawn_spots(rng: np.random.Generator) -> tuple[tuple[float, float, float], ...]:
    spots = []
    for row, y in enumerate((-0.34, -0.22, -0.1, 0.03)):
        n = int(rng.integers(5, 9)) - row
        xs = np.sort(rng.uniform(-0.42, 0.36, n))
        for x in xs:
            spots.append(
                (float(x), float(y + rng.normal(0, 0.025)), float(rng.uniform(0.018, 0.03)))
            )
    return tuple(spots)


def _counts(n: int) -> tuple[int, int, int]:
    """Bucks, does, fawns: roughly 30/40/30, with at least one of each when n >= 3."""
    if n < 3:
        return (1, n - 1, 0) if n == 2 else (0, 1, 0)
    bucks = max(1, round(n * 0.3))
    fawns = max(1, round(n * 0.28))
    return bucks, n - bucks - fawns, fawns


def make_herd(seed: int, n_deer: int, n_stations: int, season_days: int) -> list[DeerSpec]:
    """The individuals of a demo season, fully determined by ``seed``."""
    n_bucks, n_does, n_fawns = _counts(n_deer)
    kinds = ["buck"] * n_bucks + ["doe"] * n_does + ["fawn"] * n_fawns
    order = np.random.default_rng([seed, 11]).permutation(len(kinds))
    kinds = [kinds[i] for i in order]
    doe_ids = [i for i, k in enumerate(kinds) if k == "doe"]
    herd: list[DeerSpec] = []
    mothers: dict[int, int] = {}
    for i, kind in enumerate(kinds):
        rng = np.random.default_rng([seed, 1000 + i])
        if kind == "fawn" and doe_ids:
            mothers[i] = int(doe_ids[int(rng.integers(len(doe_ids)))])
    for i, kind in enumerate(kinds):
        rng = np.random.default_rng([seed, 2000 + i])
        fawn = kind == "fawn"
        summer, winter = _coat(rng, fawn)
        age = int(rng.integers(1, 5)) if kind == "buck" else 0
        length = {"buck": 1.05 + 0.04 * age, "doe": 1.0, "fawn": 0.68}[kind] * rng.uniform(
            0.94, 1.06
        )
        antlers = _antlers(rng, age) if kind == "buck" else None
        notch = None
        if rng.random() < 0.3:
            notch = (str(rng.choice(["left", "right"])), float(rng.uniform(0.3, 0.8)))
        ear_tag = None
        if kind == "doe" and rng.random() < 0.35:
            ear_tag = [(235, 200, 30), (40, 150, 230), (230, 90, 40), (240, 240, 240)][
                int(rng.integers(4))
            ]
        # Home range: a favourite station and a few others. A fawn shares its mother's.
        if i in mothers:
            home = herd_home(seed, mothers[i], n_stations)
        else:
            home = herd_home(seed, i, n_stations)
        late = kind == "buck" and age == 1 and rng.random() < 0.5
        arrival = int(rng.integers(55, 75)) if late else 0  # dispersing yearlings arrive in the rut
        shed = int(rng.integers(128, 150)) if kind == "buck" and rng.random() < 0.4 else 10_000
        marks_l = _marks(rng, int(rng.integers(3, 6)))
        marks_r = marks_l
        desc = _describe(kind, age, antlers, notch, ear_tag, marks_l, marks_r, late)
        herd.append(
            DeerSpec(
                index=i,
                tag=f"D{i + 1:02d}",
                sex_age=kind,
                length=float(length),
                depth=float(rng.uniform(0.38, 0.46) + (0.03 if kind == "buck" else 0)),
                neck=float(rng.uniform(0.9, 1.05) * (1.0 + 0.08 * age)),
                leg=float(rng.uniform(0.92, 1.08) * (1.08 if fawn else 1.0)),
                coat=summer,  # type: ignore[arg-type]
                winter=winter,  # type: ignore[arg-type]
                face=float(rng.uniform(0.55, 0.85)),
                back=float(rng.uniform(0.5, 0.95)),
                legs=float(rng.uniform(0.15, 0.75)),
                throat=float(rng.uniform(0.6, 1.3)),
                marks_left=marks_l,
                marks_right=marks_r,
                ear_notch=notch,
                ear_tag=ear_tag,
                fawn_spots=_fawn_spots(rng) if fawn else (),
                antlers=antlers,
                mother=mothers.get(i),
                home=home,
                arrival_day=min(arrival, max(season_days - 30, 0)),
                shed_day=shed,
                description=desc,
            )
        )
    return herd


def herd_home(seed: int, i: int, n_stations: int) -> tuple[float, ...]:
    rng = np.random.default_rng([seed, 3000 + i])
    weights = rng.gamma(0.6, 1.0, n_stations) + 0.02
    weights[int(rng.integers(n_stations))] += 2.0
    weights /= weights.sum()
    return tuple(float(w) for w in weights)


def _describe(kind, age, antlers, notch, ear_tag, marks_l, marks_r, late) -> str:
    parts = []
    if kind == "buck" and antlers is not None:
        total = sum(antlers.points_per_side)
        parts.append(f"{age + 0.5:g}-year-old {total}-point buck")
        if antlers.broken >= 0:
            parts.append("broken tine on the left beam")
    elif kind == "doe":
        parts.append("adult doe")
    else:
        parts.append("fawn of the year, spotted")
    if notch:
        parts.append(f"notch in the {notch[0]} ear")
    if ear_tag:
        parts.append("study ear tag")
    scars = sum(m.kind == "scar" for m in marks_l + marks_r)
    if scars:
        parts.append(f"{scars} pale scar{'s' if scars > 1 else ''} on the flanks")
    if late:
        parts.append("arrived during the rut")
    return "; ".join(parts)

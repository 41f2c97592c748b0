"""Composing one photo: background, deer (far ones first), light, noise, data bar; and the boxes a
detector would report for it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from deertrack_core.demo.herd import DeerSpec
from deertrack_core.demo.scene import BAR, Light, Station, apply_light, background, draw_bar
from deertrack_core.demo.schedule import Shot
from deertrack_core.demo.sprite import Sprite, render_deer

_NEW_MOON = dt.datetime(2000, 1, 6, 18, 14)
_MONTH_TEMP = {9: 17.0, 10: 11.0, 11: 5.0, 12: -1.0, 1: -4.0}


@dataclass(frozen=True)
class Box:
    deer: int | None  # herd index; None for a false detection
    x: float  # normalised, top-left origin, as MegaDetector writes them
    y: float
    w: float
    h: float
    conf: float
    category: str = "1"  # MegaDetector: 1 animal, 2 person, 3 vehicle


class Renderer:
    """Renders the shots of one season; caches sprites and backgrounds between photos."""

    def __init__(
        self, seed: int, herd: list[DeerSpec], stations: list[Station], snow_days: set[int],
        start: dt.date, size: tuple[int, int],
    ) -> None:  # fmt: skip
        self.seed, self.herd, self.stations = seed, herd, stations
        self.snow_days, self.start, self.size = snow_days, start, size
        rng = np.random.default_rng([seed, 9000])
        w, h = size
        grain = np.clip(rng.normal(128, 3.5, (h + 64, w + 64, 3)), 0, 255).astype(np.uint8)
        self.noise = Image.fromarray(grain)
        self._sprites: dict[tuple, Sprite] = {}

    def phase(self, day: int) -> str:
        if day in self.snow_days:
            return "snow"
        date = self.start + dt.timedelta(days=day)
        if date < dt.date(date.year, 10, 1) and date.month == 9:
            return "green"
        if date.month == 10 or (date.month == 11 and date.day < 6):
            return "autumn"
        return "bare"

    def sprite(self, deer: int, side: str, pose: str, day: int) -> Sprite:
        """Sprites are drawn for three coat stages (summer, moult, winter) and before/after a
        buck sheds, so few are needed for a whole season."""
        spec = self.herd[deer]
        rep = 10 if day < 25 else (40 if day < 60 else 100)
        rep = max(rep, spec.shed_day) if day >= spec.shed_day else min(rep, spec.shed_day - 1)
        key = (deer, side, pose, rep)
        sp = self._sprites.get(key)
        if sp is None:
            sp = self._sprites[key] = render_deer(spec, side=side, pose=pose, day=rep)
        return sp

    def render(self, shot: Shot) -> tuple[Image.Image, list[Box]]:
        rng = np.random.default_rng([self.seed, 8000, shot.station, shot.event, shot.frame])
        st = self.stations[shot.station]
        day = (shot.when.date() - self.start).days
        w, h = self.size
        scene = background(self.seed, st, self.phase(day), self.size)
        im = scene.image.copy()
        hy = st.horizon * h
        boxes: list[Box] = []
        eyes: list[tuple[float, float, float]] = []
        actors = sorted(shot.actors, key=lambda a: a.dist)  # far ones first
        feet = [hy + (0.1 + 0.86 * a.dist) * (h - BAR - hy) for a in actors] + [float("inf")]
        for i, a in enumerate(actors):
            side = "left" if a.facing == "right" else "right"
            sp = self.sprite(a.deer, side, a.pose, day)
            unit = w * (0.06 + 0.23 * a.dist)
            scale = unit / sp.unit
            sw, sh = max(2, round(sp.image.width * scale)), max(2, round(sp.image.height * scale))
            img = sp.image.resize((sw, sh), Image.Resampling.BILINEAR, reducing_gap=2.0)
            ex, ey = sp.eye[0] * scale, sp.eye[1] * scale
            if a.facing == "left":
                img, ex = ImageOps.mirror(img), sw - ex
            foot = feet[i]
            left = a.x * w - sw / 2
            top = foot - sp.ground * scale
            if shot.light != "night":
                _shadow(im, a.x * w, foot, sw * 0.8, unit * 0.07)
            im.paste(img, (round(left), round(top)), img)
            for base, at, tree in scene.trees:  # trees standing between this deer and the next
                if foot < base <= feet[i + 1]:
                    im.paste(tree, at, tree)
            box = _box(left, top, sw, sh, w, h - BAR)
            if box is None:
                continue
            x0, y0, x1, y1, visible = box
            conf = _confidence(rng, shot.light, (x1 - x0) * (y1 - y0) / (w * h), visible)
            boxes.append(_jittered(rng, a.deer, x0, y0, x1, y1, w, h, conf))
            eyes.append((left + ex, top + ey, unit))
        if shot.person is not None:
            x0, y0, x1, y1 = _person(im, shot.person * w, h - BAR)
            conf = round(float(rng.uniform(0.88, 0.97)), 3)
            boxes.append(_jittered(rng, None, x0, y0, x1, y1, w, h, conf, "2"))
        elif not shot.actors:
            boxes.extend(_false_boxes(rng, w, h, hy))
        out = apply_light(im, self._light(shot, day, rng), self._noise(rng))
        if shot.light == "night":
            d = ImageDraw.Draw(out)
            for x, y, unit in eyes:
                if rng.random() < 0.6:  # eyeshine from the infrared flash
                    r = max(1.5, unit * 0.012)
                    d.ellipse((x - r, y - r, x + r, y + r), fill=(250, 250, 250))
        draw_bar(out, st, shot.when.strftime("%Y-%m-%d %H:%M:%S"), _temperature(shot.when, rng),
                 _moon(shot.when))  # fmt: skip
        return out, boxes

    def _light(self, shot: Shot, day: int, rng: np.random.Generator) -> Light:
        weather = np.random.default_rng([self.seed, 8500, day]).uniform(0.86, 1.08)
        if shot.light == "night":
            return Light("night", float(rng.uniform(0.95, 1.15)), (1.0, 1.0, 1.0))
        if shot.light == "twilight":
            dusk = min(max((shot.minutes_from_sun + 30) / 60, 0.0), 1.0)
            gain = 0.5 + 0.4 * dusk if shot.when.hour < 12 else 0.9 - 0.4 * dusk
            return Light("twilight", float(gain * weather), (1.08, 0.96, 0.84))
        return Light("day", float(weather * rng.uniform(0.96, 1.04)), (1.0, 1.0, 1.0))

    def _noise(self, rng: np.random.Generator) -> Image.Image:
        x, y = int(rng.integers(64)), int(rng.integers(64))
        return self.noise.crop((x, y, x + self.size[0], y + self.size[1]))


def _shadow(im: Image.Image, cx: float, cy: float, rx: float, ry: float) -> None:
    pad = int(ry * 2 + 4)
    mask = _shadow_mask(int(rx) // 4 * 4 + 4, max(2, int(ry)), pad)
    im.paste((30, 30, 24), (round(cx - mask.width / 2), round(cy - mask.height / 2)), mask)


@lru_cache(maxsize=256)
def _shadow_mask(rx: int, ry: int, pad: int) -> Image.Image:
    mask = Image.new("L", (rx + 2 * pad, 2 * ry + 2 * pad), 0)
    ImageDraw.Draw(mask).ellipse((pad, pad, pad + rx, pad + 2 * ry), fill=70)
    return mask.filter(ImageFilter.GaussianBlur(max(1, ry * 0.6)))


def _box(left, top, sw, sh, w, h):
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + sw, w), min(top + sh, h)
    if x1 <= x0 or y1 <= y0:
        return None
    visible = (x1 - x0) * (y1 - y0) / (sw * sh)
    return (x0, y0, x1, y1, visible) if visible >= 0.35 else None


def _confidence(rng, light: str, area: float, visible: float) -> float:
    base = {"day": 0.93, "twilight": 0.88, "night": 0.78}[light]
    conf = rng.normal(base, 0.04 if light == "day" else 0.08)
    if area < 0.012:
        conf -= rng.uniform(0.1, 0.35)
    if visible < 0.8:
        conf -= rng.uniform(0.05, 0.25)
    return float(np.clip(conf, 0.06, 0.99))


def _jittered(rng, deer, x0, y0, x1, y1, w, h, conf, category="1") -> Box:
    bw, bh = x1 - x0, y1 - y0
    j = rng.normal(0, 0.015, 4)
    x0, x1 = max(0.0, x0 + j[0] * bw), min(float(w), x1 + j[1] * bw)
    y0, y1 = max(0.0, y0 + j[2] * bh), min(float(h), y1 + j[3] * bh)
    return Box(deer, round(x0 / w, 4), round(y0 / h, 4), round((x1 - x0) / w, 4),
               round((y1 - y0) / h, 4), round(conf, 3), category)  # fmt: skip


def _person(im: Image.Image, cx: float, bottom: float) -> tuple[float, float, float, float]:
    """Someone in an orange jacket at the camera, reaching for it; returns the clipped box."""
    p = bottom * 0.95
    foot = bottom + 0.04 * p
    d = ImageDraw.Draw(im)

    def q(pts):
        return [(cx + x * p, foot - y * p) for x, y in pts]

    jeans, jacket, skin = (52, 60, 78), (222, 98, 32), (196, 152, 124)
    d.polygon(q([(-0.11, 0.5), (-0.02, 0.5), (-0.035, 0.0), (-0.1, 0.0)]), fill=jeans)
    d.polygon(q([(0.01, 0.5), (0.11, 0.5), (0.1, 0.0), (0.035, 0.0)]), fill=_shade(jeans, 0.85))
    d.polygon(q([(-0.14, 0.82), (0.14, 0.82), (0.13, 0.46), (-0.13, 0.46)]), fill=jacket)
    d.polygon(
        q([(-0.14, 0.8), (-0.2, 0.6), (-0.17, 0.5), (-0.12, 0.62)]), fill=_shade(jacket, 0.85)
    )
    d.polygon(q([(0.1, 0.8), (0.15, 0.82), (0.3, 0.9), (0.28, 0.95), (0.12, 0.88)]), fill=jacket)
    d.ellipse(q([(0.27, 0.97), (0.33, 0.9)]), fill=skin)
    d.ellipse(q([(-0.06, 0.97), (0.06, 0.84)]), fill=skin)
    d.chord(q([(-0.065, 1.0), (0.065, 0.9)]), 180, 360, fill=(70, 80, 52))
    box = (cx - 0.2 * p, foot - 1.0 * p, cx + 0.33 * p, foot)
    w, h = im.size
    return max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], bottom)


def _shade(c: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return (int(c[0] * f), int(c[1] * f), int(c[2] * f))


def _false_boxes(rng, w: int, h: int, hy: float) -> list[Box]:
    """Empty frames: usually nothing, sometimes a weak box on a log or shadow."""
    r = rng.random()
    if r > 0.45:
        return []
    conf = rng.uniform(0.02, 0.16) if r < 0.25 else rng.uniform(0.2, 0.45)
    bw, bh = rng.uniform(0.06, 0.18), rng.uniform(0.05, 0.14)
    x = rng.uniform(0, 1 - bw)
    y = rng.uniform(hy / h, (h - BAR) / h - bh)
    return [Box(None, round(x, 4), round(y, 4), round(bw, 4), round(bh, 4), round(float(conf), 3))]


def _temperature(when: dt.datetime, rng: np.random.Generator) -> int:
    mean = _MONTH_TEMP[when.month]
    hour = when.hour + when.minute / 60
    return int(round(mean + 5 * math.sin((hour - 9) / 24 * 2 * math.pi) + rng.normal(0, 1.5)))


def _moon(when: dt.datetime) -> float:
    """Moon phase 0..1 (0 new, 0.5 full)."""
    return ((when - _NEW_MOON).total_seconds() / 86400 / 29.530588) % 1.0

"""Camera stations and what each camera sees: background per season phase, light, data bar.

Each station has its own fixed layout (horizon, trees, creek, rocks, trail, fence) drawn from the
seed; the season changes its colours (green September, autumn leaves, bare November, snow).
Frames are composed in daylight colours and then lit: warm and dim around sunrise and sunset,
grey infrared with a flash fall-off at night.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

KINDS = ("Ridge", "Creek", "Oakflat", "Field", "Pines", "Saddle")
PHASES = ("green", "autumn", "bare", "snow")
BAR = 24  # height of the camera's data bar at the bottom, in pixels
#: Centre of the synthetic study area (a plausible eastern deciduous forest).
SITE = (40.7934, -77.8600)
_MODELS = (("SynthCam", "TC-800 IR", "SYNC", 1.0), ("SynthCam", "TC-1200 HD", "IMAG", 2.0),
           ("SynthCam", "Scout 3", "PICT", 1.0))  # fmt: skip


@dataclass(frozen=True)
class Station:
    index: int
    name: str  # "Ridge-01"
    kind: str
    camera: str  # "CAM1"
    latitude: float
    longitude: float
    make: str
    model: str
    prefix: str  # file-name prefix the camera writes
    burst_interval_s: float
    horizon: float  # fraction of the image height

    @property
    def folder(self) -> str:
        return f"{self.name}/{self.camera}"


def make_stations(seed: int, n: int) -> list[Station]:
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, 4000 + i])
        kind = KINDS[i % len(KINDS)]
        make, model, prefix, interval = _MODELS[i % len(_MODELS)]
        horizon = {"Field": 0.40, "Ridge": 0.36, "Creek": 0.44}.get(kind, 0.47)
        out.append(
            Station(
                index=i,
                name=f"{kind}-{i + 1:02d}",
                kind=kind,
                camera="CAM1",
                latitude=round(SITE[0] + float(rng.uniform(-0.018, 0.018)), 5),
                longitude=round(SITE[1] + float(rng.uniform(-0.024, 0.024)), 5),
                make=make,
                model=model,
                prefix=prefix,
                burst_interval_s=interval,
                horizon=horizon + float(rng.uniform(-0.03, 0.03)),
            )
        )
    return out


_CANOPY = {
    "green": [(62, 88, 52), (74, 98, 58), (56, 78, 48)],
    "autumn": [(168, 104, 42), (150, 70, 38), (124, 112, 52), (96, 92, 50)],
    "bare": [(112, 104, 98), (98, 92, 88), (120, 112, 104)],
    "snow": [(130, 128, 128), (150, 150, 152), (118, 116, 116)],
}
_GROUND = {  # (far, near)
    "green": ((120, 132, 78), (72, 92, 46)),
    "autumn": ((150, 118, 72), (104, 74, 44)),
    "bare": ((128, 110, 88), (88, 72, 56)),
    "snow": ((214, 218, 224), (196, 200, 208)),
}


def _lerp(a, b, t):
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _ramp(a, b, t: np.ndarray, width: int) -> np.ndarray:
    """Rows blending colour ``a`` into ``b`` by ``t`` (one value per row), ``width`` wide."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    rows = (a + (b - a) * t[:, None]).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(rows[:, None, :], (len(t), width, 3)))


def _jit(rng, c, amount=14, hue=4):
    """Vary brightness by up to ``amount`` and each channel by up to ``hue``."""
    shift = int(rng.integers(-amount, amount + 1))
    per = rng.integers(-hue, hue + 1, 3)
    return tuple(min(255, max(0, int(v) + shift + int(p))) for v, p in zip(c, per, strict=True))


@dataclass(frozen=True)
class Scene:
    image: Image.Image  # the empty scene in daylight colours (callers copy it)
    #: Each tree cut out, (base y, (left, top), RGBA) by base y, to put back over deer behind it.
    trees: tuple[tuple[float, tuple[int, int], Image.Image], ...]


@lru_cache(maxsize=64)
def background(seed: int, station: Station, phase: str, size: tuple[int, int]) -> Scene:
    """The empty scene of ``station`` in ``phase``."""
    w, h = size
    rng = np.random.default_rng([seed, 4100 + station.index])  # layout: same in every phase
    prng = np.random.default_rng([seed, 4200 + station.index, PHASES.index(phase)])
    hy = int(station.horizon * h)
    tilt = rng.uniform(-0.08, 0.08) * h if station.kind == "Ridge" else 0.0
    far, near = _GROUND[phase]
    rows = np.arange(h, dtype=np.float32)
    top = hy - abs(tilt)
    sky = _ramp((150, 178, 204), (214, 222, 226), np.clip(rows / max(hy, 1), 0, 1), w)
    ground = _ramp(far, near, np.clip((rows - top) / max(h - top, 1), 0, 1) ** 0.8, w)
    im = Image.fromarray(sky)
    d = ImageDraw.Draw(im)
    # Distant tree line (hazy) standing on the horizon.
    canopy = _CANOPY["green" if station.kind == "Pines" and phase != "snow" else phase]
    haze = (176, 188, 196)
    lift = 0.02 * h if station.kind == "Field" else 0.0
    for _ in range(70 if station.kind != "Field" else 40):
        x = rng.uniform(-20, w + 20)
        r = rng.uniform(0.03, 0.07) * w
        c = _lerp(_jit(prng, canopy[int(prng.integers(len(canopy)))]), haze, 0.45)
        y = hy + tilt * (2 * x / w - 1) - r * rng.uniform(0.4, 1.6) - lift
        d.ellipse((x - r, y - r, x + r, y + r * 1.4), fill=c)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon([(0, hy - tilt), (w, hy + tilt), (w, h), (0, h)], fill=255)
    im.paste(Image.fromarray(ground), (0, 0), mask)
    d = ImageDraw.Draw(im)
    if station.kind == "Saddle":
        d.polygon([(w * 0.46, hy), (w * 0.52, hy), (w * 0.78, h), (w * 0.3, h)],
                  fill=_lerp(far, (170, 150, 120) if phase != "snow" else (190, 190, 195), 0.5))  # fmt: skip
    if station.kind == "Creek":
        y0 = hy + 0.18 * (h - hy)
        top = [(x, y0 + 10 * math.sin(x / 70.0 + rng.uniform(0, 3))) for x in range(0, w + 40, 40)]
        bottom = [(x, y + 0.07 * h + 8 * math.sin(x / 55.0)) for x, y in top[::-1]]
        water = (150, 165, 172) if phase != "snow" else (190, 200, 210)
        d.polygon(top + bottom, fill=water)
        for _ in range(25):
            x, y = rng.uniform(0, w), y0 + rng.uniform(0.01, 0.06) * h
            d.line([(x, y), (x + rng.uniform(10, 40), y)], fill=(196, 206, 212), width=2)
    # Ground texture: leaves, grass clumps, twigs; bigger near the camera.
    n = 500
    ys = hy + (h - hy) * rng.uniform(0.02, 1.0, n) ** 0.7
    xs = rng.uniform(0, w, n)
    sizes = rng.uniform(0.5, 1.5, n)
    shifts = prng.integers(-24, 25, n)
    hue = 22 if phase == "autumn" else 5
    per = prng.integers(-hue, hue + 1, (n, 3))
    fa, ne = np.asarray(far, np.float32), np.asarray(near, np.float32)
    for x, y, k, sh, pc in zip(xs, ys, sizes, shifts, per, strict=True):
        t = (y - hy) / (h - hy)
        r = 1 + 7 * t * k
        c = np.clip(fa + (ne - fa) * t + sh + pc, 0, 255).astype(int)
        d.ellipse((x - r * 1.6, y - r * 0.6, x + r * 1.6, y + r * 0.6), fill=tuple(c.tolist()))
    trees = _trees(im, rng, prng, station, phase, hy, canopy)
    if station.kind == "Ridge":
        for _ in range(6):
            x, y = rng.uniform(0, w), hy + (h - hy) * rng.uniform(0.3, 0.95)
            r = rng.uniform(0.03, 0.08) * w * (y - hy) / (h - hy)
            d.ellipse((x - r, y - r * 0.6, x + r, y + r * 0.5), fill=(118, 116, 110))
            d.ellipse((x - r * 0.8, y - r * 0.55, x + r * 0.6, y + r * 0.1), fill=(146, 144, 138))
            if phase == "snow":
                d.ellipse(
                    (x - r * 0.8, y - r * 0.62, x + r * 0.7, y - r * 0.2), fill=(228, 230, 234)
                )
    if station.kind == "Field":
        for k in range(7):
            x = w * (0.05 + 0.14 * k) + rng.uniform(-10, 10)
            d.rectangle((x, hy - 0.045 * h, x + 4, hy + 0.01 * h), fill=(92, 80, 66))
        d.line([(0, hy - 0.03 * h), (w, hy - 0.03 * h)], fill=(80, 76, 70), width=1)
    return Scene(im.filter(ImageFilter.BoxBlur(1)), tuple(trees))


def _trees(im: Image.Image, rng, prng, station, phase, hy, canopy) -> list:
    w, h = im.size
    out = []
    n = {"Field": 3, "Pines": 14, "Oakflat": 9}.get(station.kind, 11)
    trees = sorted(
        ((rng.uniform(0, w), rng.uniform(0.0, 1.0) ** 1.6) for _ in range(n)), key=lambda t: t[1]
    )
    bark = (74, 64, 56) if station.kind != "Pines" else (70, 54, 44)
    for x, depth in trees:
        layer = Image.new("RGBA", im.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        base = hy + (h - hy) * (0.04 + 0.5 * depth)
        _tree(d, rng, prng, station, phase, w, h, hy, canopy, x, depth, base, bark)
        box = layer.getbbox()
        if box is None:
            continue
        cut = layer.crop(box).filter(ImageFilter.BoxBlur(1))
        im.paste(cut, box[:2], cut)
        out.append((base, box[:2], cut))
    return out


def _tree(d, rng, prng, station, phase, w, h, hy, canopy, x, depth, base, bark) -> None:
    width = w * (0.008 + 0.05 * depth) * (0.7 if station.kind == "Pines" else 1.0)
    c = _lerp(_jit(prng, bark, 10), (150, 160, 168), 0.45 * (1 - depth))
    if station.kind == "Pines":
        green = _lerp((40, 62, 44), (120, 140, 140), 0.5 * (1 - depth))
        top = -0.1 * h
        d.rectangle((x - width * 0.3, top, x + width * 0.3, base), fill=c)
        for k in range(6):
            yk = top + (base - top) * (0.05 + 0.13 * k)
            span = width * (0.8 + 0.45 * k)
            d.polygon([(x, yk - 0.08 * h), (x - span, yk + 0.08 * h), (x + span, yk + 0.08 * h)],
                      fill=green)  # fmt: skip
            if phase == "snow":
                d.line([(x - span * 0.8, yk + 0.07 * h), (x + span * 0.8, yk + 0.07 * h)],
                       fill=(226, 230, 236), width=max(2, int(width * 0.2)))  # fmt: skip
        return
    d.polygon([(x - width / 2, base), (x - width * 0.3, -5), (x + width * 0.3, -5),
               (x + width / 2, base)], fill=c)  # fmt: skip
    d.line([(x - width * 0.15, -5), (x - width * 0.2, base)], fill=_lerp(c, (200, 200, 200), 0.2),
           width=max(1, int(width * 0.15)))  # fmt: skip
    for _ in range(int(2 + 3 * depth)):
        y = rng.uniform(-5, hy * 0.8)
        dx = rng.choice([-1, 1]) * width * rng.uniform(2, 5)
        d.line([(x, y), (x + dx, y - abs(dx) * 0.6)], fill=c, width=max(1, int(width * 0.2)))
    if phase in ("green", "autumn") and depth < 0.7:
        for _ in range(5):
            r = w * rng.uniform(0.03, 0.07) * (0.5 + depth)
            cx, cy = x + rng.uniform(-2, 2) * r, rng.uniform(-0.1, 0.3) * hy
            colour = _lerp(
                _jit(prng, canopy[int(prng.integers(len(canopy)))]),
                (176, 188, 196),
                0.3 * (1 - depth),
            )
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    if station.kind == "Oakflat" and depth > 0.9:
        d.ellipse((x - width * 0.9, base - width * 0.3, x + width * 0.9, base + width * 0.2),
                  fill=_lerp(c, (40, 36, 30), 0.5))  # fmt: skip


@lru_cache(maxsize=8)
def _night_falloff(size: tuple[int, int]) -> Image.Image:
    """Infrared flash: bright near the camera (bottom centre), dark far away and at the edges."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xx - w / 2) / (0.75 * w), (yy - h * 0.85) / (0.9 * h))
    return Image.fromarray((np.clip(1.25 - 0.95 * r, 0.12, 1.0) * 255).astype(np.uint8))


@dataclass(frozen=True)
class Light:
    kind: str  # day | twilight | night
    gain: float
    tint: tuple[float, float, float]


def _lut(gain: float) -> list[int]:
    return [min(255, int(v * gain)) for v in range(256)]


def apply_light(frame: Image.Image, light: Light, noise: Image.Image) -> Image.Image:
    """Light a daylight-coloured RGB frame. ``noise`` is an RGB image of the frame's size holding
    sensor noise around 128."""
    if light.kind == "night":
        # Vegetation is bright in near infrared; colour is gone; the flash falls off with distance.
        grey = frame.convert("L", (0.25, 0.6, 0.15, 0))
        grey = ImageChops.multiply(grey, _night_falloff(frame.size)).point(_lut(light.gain * 1.1))
        grey = ImageChops.add(grey, noise.getchannel(0), 1.0, -128)
        return ImageChops.add(grey, noise.getchannel(1), 1.0, -128).convert("RGB")
    lut: list[int] = []
    for t in light.tint:
        lut.extend(_lut(light.gain * t))
    return ImageChops.add(frame.point(lut), noise, 1.0, -128)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def draw_bar(im: Image.Image, station: Station, text_time: str, temp_c: int, moon: float) -> None:
    """The camera's data bar: station, temperature, moon phase, date and time; marked synthetic."""
    w, h = im.size
    d = ImageDraw.Draw(im)
    d.rectangle((0, h - BAR, w, h), fill=(12, 12, 12))
    font = _font(14)
    y = h - BAR + 4
    d.text((8, y), station.name.upper(), fill=(235, 235, 235), font=font)
    d.text((150, y), f"{temp_c:+d}°C", fill=(235, 235, 235), font=font)
    cx, cy, r = 226, h - BAR / 2, 7
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(235, 235, 235))
    lit = math.cos(2 * math.pi * moon)  # 1 new moon .. -1 full moon
    if lit > -0.9:
        off = r * 2 * (1 - (1 - lit) / 2) if moon < 0.5 else -r * 2 * (1 - (1 - lit) / 2)
        d.ellipse((cx - r + off, cy - r, cx + r + off, cy + r), fill=(12, 12, 12))
        d.rectangle((cx + r + 1, cy - r, cx + 3 * r, cy + r), fill=(12, 12, 12))
        d.rectangle((cx - 3 * r, cy - r, cx - r - 1, cy + r), fill=(12, 12, 12))
    d.text((w - 290, y), text_time, fill=(235, 235, 235), font=font)
    d.text((w - 90, y), "SYNTHETIC", fill=(250, 190, 60), font=font)

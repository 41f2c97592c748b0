"""Drawing one deer with PIL: a side view facing right, rendered large and shrunk when placed.

Coordinates are in body lengths (``U`` pixels) with the origin at the centre of the torso and y
pointing down; the head has its own frame (u along the snout, v across, negative = top of the
head) so ears and antlers follow it when the deer lowers its head to graze. A deer facing right
shows its left flank; the right flank is drawn the same way with its own marks and then mirrored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from deertrack_core.demo.herd import DeerSpec, Mark

#: Pixels per body length of a mature doe in the rendered sprite (shrunk when placed).
BASE_UNIT = 200
POSES = ("stand", "walk", "graze", "alert")
#: (head anchor x, y, snout angle in degrees below horizontal, ear angle)
_HEAD = {
    "stand": (0.56, -0.60, 38.0, -128.0),
    "walk": (0.62, -0.50, 42.0, -140.0),
    "graze": (0.78, 0.36, 100.0, -150.0),
    "alert": (0.50, -0.74, 22.0, -105.0),
}
_X0, _X1, _Y0, _Y1 = -0.8, 1.15, -1.55, 0.95  # canvas extent in body lengths

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Sprite:
    image: Image.Image  # RGBA, facing right, cropped to the animal
    eye: tuple[float, float]  # eye position in image pixels
    ground: float  # y of the hooves in image pixels
    unit: float  # pixels per body length of a doe-sized animal in this image


def _shade(c: RGB, f: float) -> RGB:
    return tuple(int(max(0, min(255, v * f))) for v in c)  # type: ignore[return-value]


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


class _Canvas:
    def __init__(self, unit: float) -> None:
        self.u = unit
        self.size = (int((_X1 - _X0) * unit), int((_Y1 - _Y0) * unit))

    def p(self, x: float, y: float) -> tuple[float, float]:
        return ((x - _X0) * self.u, (y - _Y0) * self.u)

    def layer(self) -> tuple[Image.Image, ImageDraw.ImageDraw]:
        im = Image.new("RGBA", self.size, (0, 0, 0, 0))
        return im, ImageDraw.Draw(im)

    def ellipse(self, d: ImageDraw.ImageDraw, cx, cy, rx, ry, fill) -> None:
        x0, y0 = self.p(cx - rx, cy - ry)
        x1, y1 = self.p(cx + rx, cy + ry)
        d.ellipse((x0, y0, x1, y1), fill=fill)

    def limb(self, d: ImageDraw.ImageDraw, pts, widths, fill) -> None:
        """A tapered stroke through ``pts`` (body coordinates) with rounded joints."""
        left, right = [], []
        for i, (x, y) in enumerate(pts):
            a = pts[max(i - 1, 0)]
            b = pts[min(i + 1, len(pts) - 1)]
            tx, ty = b[0] - a[0], b[1] - a[1]
            n = math.hypot(tx, ty) or 1.0
            nx, ny = -ty / n, tx / n
            w = widths[i] / 2
            left.append(self.p(x + nx * w, y + ny * w))
            right.append(self.p(x - nx * w, y - ny * w))
        d.polygon(left + right[::-1], fill=fill)
        for (x, y), w in zip(pts, widths, strict=True):
            self.ellipse(d, x, y, w / 2, w / 2, fill)


class _Head:
    """The head frame: anchor (back of the skull), snout direction, scale."""

    def __init__(self, ax: float, ay: float, angle: float, scale: float) -> None:
        self.ax, self.ay, self.s = ax, ay, scale
        self.c, self.sn = math.cos(math.radians(angle)), math.sin(math.radians(angle))

    def w(self, u: float, v: float) -> tuple[float, float]:
        u, v = u * self.s, v * self.s
        return (self.ax + u * self.c - v * self.sn, self.ay + u * self.sn + v * self.c)


_HEAD_SHAPE = [
    (-0.04, -0.01), (0.0, -0.065), (0.08, -0.078), (0.15, -0.062), (0.23, -0.04),
    (0.295, -0.028), (0.315, 0.0), (0.30, 0.03), (0.25, 0.045), (0.16, 0.062),
    (0.06, 0.075), (-0.02, 0.06),
]  # fmt: skip


def _ear(cv: _Canvas, hd: _Head, d, base_u, ear_angle, colour, inner, notch, tag) -> None:
    a = math.radians(ear_angle)
    ux, vx = math.cos(a), math.sin(a)  # ear axis in head coordinates
    pu, pv = -vx, ux

    def e(t: float, s: float) -> tuple[float, float]:
        return cv.p(*hd.w(base_u + ux * t + pu * s, -0.06 + vx * t + pv * s))

    outline = [e(0, -0.028), e(0.07, -0.048), e(0.15, -0.036), e(0.2, 0.0), e(0.15, 0.04),
               e(0.07, 0.05), e(0, 0.028)]  # fmt: skip
    d.polygon(outline, fill=colour)
    d.polygon([e(0.03, -0.015), e(0.14, -0.022), e(0.17, 0.0), e(0.12, 0.028), e(0.03, 0.018)],
              fill=inner)  # fmt: skip
    if notch is not None:
        t = 0.05 + 0.13 * notch
        d.polygon([e(t - 0.03, 0.06), e(t, 0.012), e(t + 0.03, 0.06)], fill=(0, 0, 0, 0))
    if tag is not None:
        d.polygon([e(0.02, 0.03), e(0.05, 0.03), e(0.06, 0.075), e(0.015, 0.075)], fill=tag)


def _antler(cv: _Canvas, hd: _Head, d, spec, points: int, broken: int, colour, off) -> None:
    ant = spec.antlers
    b = ant.beam / hd.s  # in head units, so the frame can be scaled with the head
    r = ant.rise
    p0 = (0.05 + off[0], -0.075 + off[1])
    c1 = (p0[0] - 0.35 * b, p0[1] - 1.05 * r * b)
    p2 = (p0[0] + 0.55 * b, p0[1] - (0.55 + 0.45 * r) * b)

    def bez(t: float) -> tuple[float, float]:
        m = 1 - t
        return (m * m * p0[0] + 2 * m * t * c1[0] + t * t * p2[0],
                m * m * p0[1] + 2 * m * t * c1[1] + t * t * p2[1])  # fmt: skip

    ts = [i / 8 for i in range(9)]
    beam = [hd.w(*bez(t)) for t in ts]
    cv.limb(d, beam, [0.034 * hd.s * (1 - 0.55 * t) for t in ts], colour)
    tines = max(points - 1, 0)
    if ant.brow and tines:
        q = hd.w(*bez(0.1))
        tip = hd.w(bez(0.1)[0] + 0.05, bez(0.1)[1] - 0.45 * ant.tine / hd.s)
        cv.limb(d, [q, tip], [0.02 * hd.s, 0.009 * hd.s], colour)
        tines -= 1
    for k in range(tines):
        t = 0.35 + 0.5 * (k + 0.5) / max(tines, 1)
        bu, bv = bez(t)
        length = ant.tine / hd.s * (1.0 - 0.35 * abs(t - 0.55)) * (0.5 if k == broken else 1.0)
        q = hd.w(bu, bv)
        tip = hd.w(bu + 0.12 * length, bv - length)
        cv.limb(d, [q, tip], [0.022 * hd.s, 0.008 * hd.s], colour)


def _legs(cv: _Canvas, d, depth: float, leg: float, swing: float, colour: RGB, lower: RGB,
          hoof: RGB, far: bool) -> float:  # fmt: skip
    belly = depth / 2

    def y(v: float) -> float:
        return belly + (v - belly) * leg if v > belly else v

    ground = y(0.78)
    dx = 0.05 if far else 0.0
    f = -swing if far else swing
    front = [(0.30 + dx, 0.0), (0.31 + dx, y(belly + 0.04)), (0.32 + dx + f * 0.6, y(0.5)),
             (0.32 + dx + f, y(0.7)), (0.33 + dx + f * 1.05, ground)]  # fmt: skip
    hind = [(-0.30 + dx, -0.06), (-0.24 + dx, 0.16), (-0.40 + dx - f * 0.4, y(0.47)),
            (-0.37 + dx - f, y(0.7)), (-0.36 + dx - f * 1.05, ground)]  # fmt: skip
    for pts, widths in ((front, [0.15, 0.09, 0.058, 0.042, 0.046]),
                        (hind, [0.24, 0.16, 0.07, 0.042, 0.046])):  # fmt: skip
        cv.limb(d, pts[:3], widths[:3], colour)
        cv.limb(d, pts[2:], widths[2:], lower)
        cv.ellipse(d, pts[-1][0] + 0.012, pts[-1][1], 0.03, 0.02, hoof)
    return ground


def render_deer(spec: DeerSpec, *, side: str, pose: str, day: int, unit: int = BASE_UNIT) -> Sprite:
    """The deer facing right, seen from ``side`` ("left" or "right" flank), on ``day`` of the
    season (coat colour moults from the red summer to the grey winter coat; bucks shed late)."""
    u = unit * spec.length
    cv = _Canvas(u)
    moult = min(max((day - 20) / 40.0, 0.0), 1.0)
    coat = _mix(spec.coat, spec.winter, moult)
    far_c = _shade(coat, 0.72)
    lower = _mix(coat, (150, 140, 128), spec.legs)
    hoof = (38, 34, 32)
    depth = spec.depth
    ax, ay, angle, ear_angle = _HEAD[pose]
    hs = 1.32 if spec.sex_age == "fawn" else 1.15
    if spec.sex_age == "fawn":  # shorter neck
        ax, ay = 0.25 + (ax - 0.25) * 0.85, -0.06 + (ay + 0.06) * 0.85
    hd = _Head(ax, ay, angle, hs)
    swing = 0.09 if pose == "walk" else 0.015
    marks = spec.marks_left if side == "left" else spec.marks_right

    back, bd = cv.layer()  # far antler and far ear: behind everything
    has_antlers = spec.antlers is not None and day < spec.shed_day
    if has_antlers:
        velvet = day < 12
        ant_c = (120, 92, 66) if velvet else (196, 176, 140)
        far_pts = spec.antlers.points_per_side[1 if side == "left" else 0]
        _antler(cv, hd, bd, spec, far_pts, -1, _shade(ant_c, 0.78), (0.03, -0.012))
    notch_far = spec.ear_notch[1] if spec.ear_notch and spec.ear_notch[0] != side else None
    _ear(cv, hd, bd, 0.03, ear_angle + 14, far_c, _shade(far_c, 1.25), notch_far, None)

    body, d = cv.layer()
    ground = _legs(cv, d, depth, spec.leg, swing, far_c, _shade(lower, 0.75), hoof, far=True)
    torso = Image.new("L", cv.size, 0)
    td = ImageDraw.Draw(torso)
    h = depth / 2
    outline = [(-0.56, -0.02), (-0.47, -h - 0.01), (-0.3, -h - 0.03), (-0.05, -h + 0.01),
               (0.2, -h - 0.03), (0.42, -h + 0.06), (0.5, 0.02), (0.4, h + 0.03),
               (0.15, h + 0.02), (-0.12, h - 0.01), (-0.32, h - 0.02), (-0.5, h * 0.7)]  # fmt: skip
    td.polygon([cv.p(x, y) for x, y in _smooth(outline)], fill=255)
    body.paste(coat + (255,), (0, 0), torso)
    neck_w = 0.19 * spec.neck
    cv.limb(d, [(0.25, -0.06), ((0.25 + ax) / 2 + 0.07, (ay - 0.06) / 2), hd.w(0.05, 0.0)],
            [neck_w * 1.75, neck_w * 1.1, neck_w * 0.8], coat)  # fmt: skip
    _legs(cv, d, depth, spec.leg, swing, coat, lower, hoof, far=False)
    cv.limb(d, [(-0.5, -0.14), (-0.56, -0.04), (-0.57, 0.06)], [0.08, 0.09, 0.05], coat)
    d.polygon([cv.p(*hd.w(x, y)) for x, y in _HEAD_SHAPE], fill=_shade(coat, 1.02))

    # Shading: darker along the back, paler towards the belly.
    arr = np.asarray(body, dtype=np.float32)
    top, bottom = cv.p(0, -depth / 2)[1], cv.p(0, depth / 2)[1]
    rows = np.arange(cv.size[1], dtype=np.float32)
    grad = spec.back + (1.1 - spec.back) * np.clip((rows - top) / max(bottom - top, 1), 0, 1)
    arr[..., :3] *= grad[:, None, None]
    body = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGBA")

    detail, dd = cv.layer()
    cv.ellipse(
        dd, -0.02, depth * 0.6, 0.32, depth * 0.12, _mix(coat, (226, 220, 208), 0.5) + (255,)
    )
    for m in marks:
        _mark(cv, dd, m, coat, depth)
    fade = 1.0 - min(day / 90.0, 0.65)  # fawns lose most of their spots by December
    for x, y, r in spec.fawn_spots:
        cv.ellipse(dd, x, y * depth * 2, r, r * 0.85, (245, 240, 230, int(235 * fade)))
    detail.putalpha(ImageChops.multiply(detail.getchannel("A"), torso))
    body = Image.alpha_composite(body, detail)

    face, fd = cv.layer()
    fd.polygon([cv.p(*hd.w(x, y)) for x, y in _HEAD_SHAPE[1:5] + [(0.2, 0.0), (0.05, 0.0)]],
               fill=_shade(coat, spec.face))  # fmt: skip
    fd.polygon([cv.p(*hd.w(x, y)) for x, y in [(0.23, -0.04), (0.255, -0.035), (0.27, 0.04),
                                                (0.24, 0.045)]], fill=(225, 220, 210, 255))  # fmt: skip
    fd.polygon([cv.p(*hd.w(x, y)) for x, y in [(0.275, -0.03), (0.315, 0.0), (0.30, 0.02),
                                                (0.275, 0.01)]], fill=(25, 22, 22, 255))  # fmt: skip
    tw = 0.035 * spec.throat
    cv.limb(fd, [hd.w(0.0, 0.072), hd.w(0.05, 0.07)], [0.022 * hs * tw / 0.035] * 2,
            _mix(coat, (232, 228, 220), 0.8) + (255,))  # fmt: skip
    ex, ey = hd.w(0.105, -0.03)
    cv.ellipse(fd, ex, ey, 0.021 * hs, 0.017 * hs, _mix(coat, (205, 198, 186), 0.7) + (255,))
    cv.ellipse(fd, ex, ey, 0.015 * hs, 0.013 * hs, (18, 15, 14, 255))
    cv.limb(fd, [(-0.555, -0.08), (-0.57, 0.0), (-0.565, 0.06)], [0.02, 0.03, 0.02],
            (226, 222, 212, 255))  # fmt: skip
    body = Image.alpha_composite(body, face)

    front, frd = cv.layer()
    notch_near = spec.ear_notch[1] if spec.ear_notch and spec.ear_notch[0] == side else None
    tag = spec.ear_tag + (255,) if spec.ear_tag and side == "left" else None
    _ear(cv, hd, frd, 0.0, ear_angle, coat + (255,), (222, 205, 190, 255), notch_near, tag)
    if has_antlers:
        near_pts = spec.antlers.points_per_side[0 if side == "left" else 1]
        broken = spec.antlers.broken if side == "left" else -1
        _antler(cv, hd, frd, spec, near_pts, broken, ant_c, (0.0, 0.0))

    out = Image.alpha_composite(Image.alpha_composite(back, body), front)
    box = out.getchannel("A").point(lambda a: 255 if a > 24 else 0).getbbox()
    assert box is not None
    out = out.crop(box)
    ex_px, ey_px = cv.p(ex, ey)
    return Sprite(
        image=out,
        eye=(ex_px - box[0], ey_px - box[1]),
        ground=cv.p(0, ground)[1] - box[1],
        unit=float(unit),
    )


def _smooth(pts: list[tuple[float, float]], steps: int = 6) -> list[tuple[float, float]]:
    """A closed Catmull-Rom curve through ``pts``."""
    out = []
    n = len(pts)
    for i in range(n):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[(i + 1) % n], pts[(i + 2) % n]
        for k in range(steps):
            t = k / steps
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(
                    0.5
                    * (
                        2 * p1[j]
                        + (-p0[j] + p2[j]) * t
                        + (2 * p0[j] - 5 * p1[j] + 4 * p2[j] - p3[j]) * t2
                        + (-p0[j] + 3 * p1[j] - 3 * p2[j] + p3[j]) * t3
                    )
                    for j in range(2)
                )
            )
    return out  # type: ignore[return-value]


def _mark(cv: _Canvas, d, m: Mark, coat: RGB, depth: float) -> None:
    target = (228, 218, 202) if m.tone > 1 else (38, 28, 22)
    colour = _mix(coat, target, 0.62 if m.tone > 1 else 0.55) + (240,)
    x, y = m.x, m.y * depth * 2
    if m.kind == "spot":
        cv.ellipse(d, x, y, m.size, m.size * 0.8, colour)
    elif m.kind == "patch":
        cv.ellipse(d, x, y, m.size, m.size * 0.6, colour)
        cv.ellipse(d, x + m.size * 0.5, y + m.size * 0.25, m.size * 0.6, m.size * 0.45, colour)
    else:
        a = math.radians(m.angle)
        dx, dy = math.cos(a) * m.size / 2, math.sin(a) * m.size / 2
        bend = m.size * 0.15
        pts = [(x - dx, y - dy), (x - dy * 0.3, y + dx * 0.3 + bend), (x + dx, y + dy)]
        cv.limb(d, pts, [0.022, 0.03, 0.016], colour)

"""Time from the data bar: OCR of the date and time a trail camera burns into each photo.

Many cameras (Reconyx, Bushnell, Browning, Cuddeback...) print a black bar with white text along
the top or bottom of every frame: date, time (12 h with AM/PM or 24 h), burst index ("M 3/5"),
temperature, moon phase. When a photo has no EXIF time and no date in its file name, ingest reads
that bar. The bar is found as a band of dark rows at the top or bottom (:func:`find_bars`), its
text is read by an OCR engine, and :func:`parse_bar_text` takes a date and time out of it.

Engines (``DEERTRACK_DATABAR_OCR``):

* ``rapidocr`` — RapidOCR on onnxruntime (the PP-OCR models ship inside the
  ``rapidocr-onnxruntime`` wheel: nothing is downloaded). Reads the tiny bars of downsized frames
  (5-pixel text in 256×256 MLWIC frames) that Tesseract cannot.
* ``tesseract`` — Debian's ``tesseract-ocr``, through its command line; good on full-size bars.
* ``auto`` (default) — RapidOCR when installed, else Tesseract when on the PATH, else off.

A time is taken only when a whole date and a whole time were read (a bar read wrong stays untimed
rather than getting a wrong time); the source is recorded as ``databar``. On a bar whose text is
under MIN_AMPM_PX pixels high, "AM" and "PM" cannot be told apart (on the 5-pixel MLWIC bars the
recogniser read PM for AM on 9 of 12 frames checked by eye, and an AM/PM it missed makes a
12-hour time look like a 24-hour one): a reading of such a bar is stored as ``databar-ampm``, and
flagged until a person confirms it.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
from PIL import Image, ImageOps

from deertrack_core import settings
from deertrack_core.errors import ConfigurationError

log = logging.getLogger(__name__)

ENGINES = ("auto", "rapidocr", "tesseract", "off")
#: A bar is at most this share of the frame's height.
MAX_BAR_SHARE = 0.12
#: A bar is about 2 % of a frame's height (Reconyx, Bushnell); taken when no edge can be seen.
FALLBACK_SHARE = 0.025
#: Rows darker than this (0-255) make up the bar's background.
DARK = 70
#: Below this bar height (pixels) AM and PM are not told apart reliably.
MIN_AMPM_PX = 9
#: Text is scaled so that the bar is about this many pixels high before OCR.
OCR_HEIGHT = 32


@dataclass(frozen=True)
class BarReading:
    time: dt.datetime | None
    text: str
    burst: tuple[int, int] | None = None  # (frame, of frames) of the burst, "M 3/5"
    twelve_hour: bool = False  # an AM/PM was read
    ampm_unsure: bool = False  # read on a bar too small to tell AM from PM (or see one)


# --- finding the bar (pure numpy) --------------------------------------------------------------


def find_bars(gray: np.ndarray, *, dark: int = DARK) -> list[tuple[int, int]]:
    """Row ranges ``(top, bottom)`` of the data bars along the top and bottom edge of a frame.

    A bar row is one whose pixels are mostly dark (the bar's background; the white text is a
    minority); a bar is 3 rows to MAX_BAR_SHARE of the height. Where the scene itself is dark
    (night) no edge can be seen, and a strip of FALLBACK_SHARE of the height is taken instead.
    """
    h = gray.shape[0]
    limit = max(3, int(h * MAX_BAR_SHARE))
    fallback = max(6, round(h * FALLBACK_SHARE))
    dark_share = (gray < dark).mean(axis=1)
    bars = []
    for rows, top in ((range(0, limit), True), (range(h - 1, h - 1 - limit, -1), False)):
        n = 0
        for r in rows:
            if dark_share[r] > 0.5:
                n += 1
            else:
                break
        if n >= limit:
            n = fallback  # a dark scene runs on below the bar
        if n >= 3:
            bars.append((0, n) if top else (h - n, h))
    return bars


# --- parsing what was read (pure) --------------------------------------------------------------

# After the time: AM/PM (P, PM, PH...), or the next field. ``tail`` lets :func:`_stamp` refuse a
# reading whose seconds run on into more digits, or whose AM/PM lost its first letter: "MM3/5",
# or a letter glued to the seconds ("7:43:25M1/5"; a burst field "M 1/5" stands apart).
_TAIL = r"(?P<space>\s*)(?P<tail>[AP]|M(?=\s*M)|[MHN]|\d)?"
_ISO = re.compile(
    r"(?P<Y>(?:19|20)\d{2})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{2})"
    r"\s*(?P<H>\d{1,2})\s*[:.]\s*(?P<M>\d{2})\s*[:.]\s*(?P<S>\d{2})" + _TAIL
)
_US = re.compile(
    r"(?P<m>\d{1,2})\s*[/-]\s*(?P<d>\d{1,2})\s*[/-]\s*(?P<Y>(?:19|20)\d{2})"
    r"\s*(?P<H>\d{1,2})\s*:\s*(?P<M>\d{2})(?:\s*:\s*(?P<S>\d{2}))?" + _TAIL
)
_EU = re.compile(
    r"(?P<d>\d{2})\.(?P<m>\d{2})\.(?P<Y>(?:19|20)\d{2})"
    r"\s*(?P<H>\d{1,2})\s*:\s*(?P<M>\d{2})(?:\s*:\s*(?P<S>\d{2}))?" + _TAIL
)
_BURST = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")
# What OCR engines write for the characters of a bar.
_NORMALISE = str.maketrans({"：": ":", "．": ".", "／": "/", "－": "-", "—": "-", "–": "-"})


def _normalise(text: str) -> str:
    text = text.translate(_NORMALISE).upper()
    # O for 0 and l/I for 1 between digits (fonts of low-resolution bars)
    return re.sub(
        r"(?<=\d)[OQ](?=\d)|(?<=\d)[IL](?=\d)", lambda m: "0" if m.group() in "OQ" else "1", text
    )


def _stamp(m: re.Match) -> dt.datetime | None:
    hour = int(m["H"])
    tail = m["tail"] or ""
    if tail.isdigit():
        return None  # "3:55:100": the seconds run on, a digit was misread
    if tail in ("M", "H", "N"):
        glued = not m["space"]
        doubled = m.string[m.end() :].lstrip()[:1] == "M"
        if glued or doubled:
            return None  # "7:43:25M1/5", "7:42:34MM3/5": the AM/PM lost its first letter
        tail = ""  # "09:23:24 M 5/5": a 24-hour time, then the burst field
    ap = tail or None
    if ap and not 1 <= hour <= 12:
        return None
    if ap == "P" and hour < 12:
        hour += 12
    elif ap == "A" and hour == 12:
        hour = 0
    try:
        return dt.datetime(
            int(m["Y"]), int(m["m"]), int(m["d"]), hour, int(m["M"]), int(m["S"] or 0)
        )
    except ValueError:
        return None


def parse_bar_text(text: str) -> BarReading:
    """The date-time (and burst index) in the text of a data bar; ``time`` None when none."""
    clean = _normalise(text)
    when = None
    rest = clean
    twelve = False
    for pattern in (_ISO, _US, _EU):
        m = pattern.search(clean)
        if m:
            when = _stamp(m)
            rest = clean[: m.start()] + " " + clean[m.end() :]
            if when is not None:
                twelve = (m["tail"] or "") in ("A", "P")
                break
    burst = None
    for b in _BURST.finditer(rest):
        k, n = int(b.group(1)), int(b.group(2))
        if 1 <= k <= n <= 99:
            burst = (k, n)
            break
    return BarReading(when, text, burst, twelve)


# --- OCR engines -------------------------------------------------------------------------------


class OcrEngine(Protocol):
    name: str

    def read(self, strip: Image.Image) -> Iterator[str]:
        """The text of one bar (RGB strip) in reading order, once per way of reading it (the
        next way is tried only when the last reading held no date and time)."""
        ...


def _upscaled(strip: Image.Image, height: int = OCR_HEIGHT) -> Image.Image:
    factor = max(1, round(height / max(1, strip.height)))
    if factor > 1:
        strip = strip.resize(
            (strip.width * factor, strip.height * factor), Image.Resampling.LANCZOS
        )
    return ImageOps.expand(strip, border=8, fill=(0, 0, 0))


def text_groups(strip: np.ndarray, *, bright: int = 100, gap: float = 2.5) -> list[tuple[int, int]]:
    """Column ranges of the groups of text on a bar (date + time, burst, temperature...).

    Columns holding a bright pixel are text; a run of dark columns wider than ``gap`` × the bar's
    height separates two groups (a space between date and time is narrower than that).
    """
    cols = np.flatnonzero((strip > bright).any(axis=0))
    if not len(cols):
        return []
    split = np.flatnonzero(np.diff(cols) > max(2, round(gap * strip.shape[0])))
    starts = np.concatenate([[cols[0]], cols[split + 1]])
    ends = np.concatenate([cols[split], [cols[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


class RapidOcr:
    """RapidOCR's text-line recogniser (PP-OCRv4, shipped in its wheel) on each group of text.

    Its own text detector is not used: it scales a bar strip to 736 px high (seconds per photo)
    and the groups are plain to find on a black bar (:func:`text_groups`). Each bar is read at
    text height of 32 px, then of 40 px when the first reading holds no date and time.
    """

    name = "rapidocr"

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise ConfigurationError(
                "DEERTRACK_DATABAR_OCR is rapidocr but rapidocr-onnxruntime is not installed.",
                "pip install rapidocr-onnxruntime==1.4.4 (see requirements.txt), or set it to "
                "tesseract or off.",
            ) from exc
        self._engine = RapidOCR()
        self._lock = threading.Lock()  # one inference at a time: ingest reads on many threads

    heights = (32, 40)

    def read(self, strip: Image.Image) -> Iterator[str]:
        groups = text_groups(np.asarray(strip.convert("L")))
        crops = [
            strip.crop((max(0, a - 2), 0, min(strip.width, b + 2), strip.height)) for a, b in groups
        ]
        for height in self.heights:
            words = []
            for crop in crops:
                with self._lock:
                    result, _ = self._engine(
                        np.asarray(_upscaled(crop, height)), use_det=False, use_cls=False
                    )
                words += [r[0] for r in result or ()]
            yield " ".join(words)


class Tesseract:
    """Tesseract OCR through its command line (Debian package tesseract-ocr)."""

    name = "tesseract"

    def __init__(self) -> None:
        self.exe = shutil.which("tesseract")
        if self.exe is None:
            raise ConfigurationError(
                "DEERTRACK_DATABAR_OCR is tesseract but the tesseract program is not on the PATH.",
                "apt-get install tesseract-ocr (make system-deps does it), or set it to rapidocr "
                "or off.",
            )

    def read(self, strip: Image.Image) -> Iterator[str]:
        gray = np.asarray(_upscaled(strip, 40).convert("L"))
        # Black text on white: invert the bar and drop its background.
        binary = Image.fromarray(np.where(gray > 120, 0, 255).astype(np.uint8))
        buf = io.BytesIO()
        binary.save(buf, "PNG")
        try:
            out = subprocess.run(
                [self.exe, "stdin", "stdout", "--psm", "7"],
                input=buf.getvalue(), capture_output=True, timeout=30, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return
        yield out.stdout.decode("utf-8", "replace").strip()


_ENGINES: dict[str, OcrEngine | None] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(name: str | None = None) -> OcrEngine | None:
    """The OCR engine for ``name`` (default ``DEERTRACK_DATABAR_OCR``), loaded once; None = off."""
    name = (name or settings.databar_ocr() or "auto").strip().lower()
    if name not in ENGINES:
        raise ConfigurationError(
            f"DEERTRACK_DATABAR_OCR has the unknown value {name!r}.",
            f"Use one of {', '.join(ENGINES)}.",
        )
    with _ENGINES_LOCK:
        if name not in _ENGINES:
            _ENGINES[name] = _load(name)
        return _ENGINES[name]


def _load(name: str) -> OcrEngine | None:
    if name == "off":
        return None
    if name == "rapidocr":
        return RapidOcr()
    if name == "tesseract":
        return Tesseract()
    for factory in (RapidOcr, Tesseract):
        try:
            engine = factory()
        except ConfigurationError:
            continue
        log.info("data-bar OCR: %s", engine.name)
        return engine
    log.info("data-bar OCR is off: neither rapidocr-onnxruntime nor tesseract is installed")
    return None


def read_bar(image: Image.Image, engine: OcrEngine) -> BarReading:
    """Find the data bars of ``image`` and read the first one that holds a date and time."""
    rgb = image.convert("RGB")
    gray = np.asarray(rgb.convert("L"))
    texts = []
    for top, bottom in find_bars(gray):
        for text in engine.read(rgb.crop((0, top, rgb.width, bottom))):
            reading = parse_bar_text(text)
            if reading.time is not None:
                if bottom - top < MIN_AMPM_PX:
                    # An AM/PM read there may be wrong, and one not read may have been lost.
                    reading = replace(reading, ampm_unsure=True)
                return reading
            texts.append(text)
    return BarReading(None, " | ".join(t for t in texts if t))


def bar_reader(name: str | None = None) -> Callable[[bytes], BarReading | None] | None:
    """What ingest calls for a photo without EXIF or file-name time, or None when OCR is off."""
    engine = get_engine(name)
    if engine is None:
        return None

    def read(data: bytes) -> BarReading | None:
        try:
            with Image.open(io.BytesIO(data)) as im:
                reading = read_bar(im, engine)
        except Exception as exc:  # noqa: BLE001 - OCR trouble leaves the photo untimed
            log.warning("data bar not read: %s", exc)
            return None
        return reading if reading.time is not None else None

    return read

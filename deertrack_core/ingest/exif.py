"""Read what ingest needs from one photo without decoding its pixels.

The file is read once; the bytes feed both the SHA-256 and Pillow, which parses only the headers
(size, EXIF, XMP) lazily. Times come from EXIF ``DateTimeOriginal`` (then ``DateTimeDigitized``,
then ``DateTime``), else from a date in the file name, else from the camera's burned-in data bar
(OCR, :mod:`deertrack_core.ingest.databar`), else the photo is untimed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

# IMAGE_SUFFIXES and PhotoReadError are imported from here by older callers.
from deertrack_core.ingest.files import (
    IMAGE_SUFFIXES,  # noqa: F401
    PhotoReadError,
    guess_content,
    read_bytes,
    readable,
)

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_SUBSEC_ORIGINAL = 0x9291
_DATETIME = 0x0132
_MAKE = 0x010F
_MODEL = 0x0110
_ORIENTATION = 0x0112

# camtrapR's imageRename output: Station__[Camera__]YYYY-MM-DD__HH-MM-SS(n).JPG
CAMTRAPR_NAME = re.compile(
    r"^(?P<station>[^_].*?)__(?:(?P<camera>[^_].*?)__)?"
    r"(?P<date>\d{4}-\d{2}-\d{2})__(?P<time>\d{2}-\d{2}-\d{2})\(\d+\)$"
)
# Generic date-time in a file name: 20210531082538-RCNX0031, IMG_20210531_082538,
# 2021-05-31 08-25-38, 2021-05-31T08.25.38 ...
_NAME_TIME = re.compile(
    r"(?<!\d)(?P<Y>(?:19|20)\d{2})[-_.]?(?P<m>\d{2})[-_.]?(?P<d>\d{2})"
    r"(?:[ _T-]|__)?(?P<H>\d{2})[-_.:]?(?P<M>\d{2})[-_.:]?(?P<S>\d{2})(?!\d)"
)

_LR_NS = "http://ns.adobe.com/lightroom/1.0/"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_SPECIES_KEYS = frozenset({"species", "art", "especie"})
_INDIVIDUAL_KEYS = frozenset({"individual", "individuals", "individual id", "id"})


@dataclass(frozen=True)
class PhotoInfo:
    sha256: str
    file_size: int
    width: int
    height: int
    orientation: int
    make: str
    model: str
    camera_time: dt.datetime | None
    time_source: str  # exif | filename | databar | databar-ampm (AM/PM unsure) | none
    species_tag: str | None
    individual_tag: str | None


def _clean(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return str(value or "").replace("\x00", "").strip()


def parse_exif_time(value: object, subsec: object = None) -> dt.datetime | None:
    """Parse an EXIF ``YYYY:MM:DD HH:MM:SS`` value (tolerating ``-`` and ``T``); None if invalid."""
    text = _clean(value)
    m = re.match(r"^(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})", text)
    if not m:
        return None
    try:
        stamp = dt.datetime(*(int(g) for g in m.groups()))
    except ValueError:  # 0000:00:00 00:00:00 and other placeholders
        return None
    frac = _clean(subsec)
    if frac.isdigit():
        stamp += dt.timedelta(microseconds=int((frac + "000000")[:6]))
    return stamp


def parse_filename_time(name: str) -> dt.datetime | None:
    """A capture time written into a file name (camtrapR or camera style), or None."""
    stem = Path(name).stem
    m = CAMTRAPR_NAME.match(stem)
    if m:
        return dt.datetime.strptime(f"{m['date']} {m['time']}", "%Y-%m-%d %H-%M-%S")
    for m in _NAME_TIME.finditer(stem):
        try:
            return dt.datetime(*(int(m[k]) for k in ("Y", "m", "d", "H", "M", "S")))
        except ValueError:
            continue
    return None


def camtrapr_station(name: str) -> tuple[str, str] | None:
    """(station, camera) from a camtrapR-renamed file name, or None when it is not one."""
    m = CAMTRAPR_NAME.match(Path(name).stem)
    if not m:
        return None
    return m["station"], m["camera"] or ""


def parse_xmp_tags(xmp: bytes | str | None) -> tuple[str | None, str | None]:
    """(species, individual) from XMP ``lr:hierarchicalSubject`` (``Species|X``, ``individual|3``).

    A deeper hierarchy (``Species|Cervidae|White-tailed deer``) gives its last level.
    """
    if not xmp:
        return None, None
    if isinstance(xmp, bytes):
        xmp = xmp.decode("utf-8", "ignore")
    items = _hierarchical_subjects(xmp)
    species = individual = None
    for item in items:
        parts = [p.strip() for p in item.split("|") if p.strip()]
        if len(parts) < 2:
            continue
        key = parts[0].lower()
        if key in _SPECIES_KEYS and species is None:
            species = parts[-1]
        elif key in _INDIVIDUAL_KEYS and individual is None:
            individual = parts[-1]
    return species, individual


def _hierarchical_subjects(xmp: str) -> list[str]:
    start = xmp.find("<x:xmpmeta")
    end = xmp.rfind("</x:xmpmeta>")
    if start >= 0 and end > start:
        try:
            root = ET.fromstring(xmp[start : end + len("</x:xmpmeta>")])
        except ET.ParseError:
            root = None
        if root is not None:
            found: list[str] = []
            for node in root.iter(f"{{{_LR_NS}}}hierarchicalSubject"):
                found.extend(li.text or "" for li in node.iter(f"{{{_RDF_NS}}}li"))
            for desc in root.iter(f"{{{_RDF_NS}}}Description"):  # attribute form
                attr = desc.get(f"{{{_LR_NS}}}hierarchicalSubject")
                if attr:
                    found.append(attr)
            return found
    # Not well-formed XML: fall back to a pattern over the raw packet.
    block = re.search(r"hierarchicalSubject>(.*?)</lr:hierarchicalSubject", xmp, re.S)
    return re.findall(r"<rdf:li>([^<]*)</rdf:li>", block.group(1)) if block else []


def _looks_truncated(data: bytes) -> bool:
    # A JPEG's scan ends with the EOI marker FFD9. Cameras append maker data after it (a Snapshot
    # Serengeti frame carries tens of KB), so only a file with no EOI at all counts as cut short.
    return data[:2] == b"\xff\xd8" and data.rfind(b"\xff\xd9") < 0


#: Reads a photo's data bar: (file bytes) -> a reading (``.time``, ``.ampm_unsure``) or None.
BarReader = Callable[[bytes], Any]


def read_photo(path: Path, *, bar_reader: BarReader | None = None) -> PhotoInfo:
    """Hash and read the metadata of one photo. Raises PhotoReadError with the reason.

    ``bar_reader`` is asked for the time only when neither EXIF nor the file name has one.
    """
    data = read_bytes(Path(path))
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            exif = im.getexif()
            xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    except UnidentifiedImageError:
        raise PhotoReadError(f"not a readable image: {guess_content(data)}") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on a broken header
        raise PhotoReadError(f"not a readable image: {readable(exc)}") from exc
    if _looks_truncated(data):
        raise PhotoReadError("truncated JPEG (no end-of-image marker): the copy is incomplete")

    try:
        sub = exif.get_ifd(_EXIF_IFD) if exif else {}
    except Exception:  # noqa: BLE001 - a broken EXIF block: read the photo without it
        sub = {}
    camera_time = (
        parse_exif_time(sub.get(_DATETIME_ORIGINAL), sub.get(_SUBSEC_ORIGINAL))
        or parse_exif_time(sub.get(_DATETIME_DIGITIZED))
        or parse_exif_time(exif.get(_DATETIME))
    )
    time_source = "exif"
    if camera_time is None:
        camera_time = parse_filename_time(Path(path).name)
        time_source = "filename" if camera_time else "none"
    if camera_time is None and bar_reader is not None:
        reading = bar_reader(data)
        if reading is not None:
            camera_time = reading.time
            time_source = "databar-ampm" if reading.ampm_unsure else "databar"
    try:
        orientation = int(exif.get(_ORIENTATION, 1) or 1)
    except (TypeError, ValueError):
        orientation = 1
    species, individual = parse_xmp_tags(xmp)
    return PhotoInfo(
        sha256=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        width=int(width),
        height=int(height),
        orientation=orientation if 1 <= orientation <= 8 else 1,
        make=_clean(exif.get(_MAKE))[:100],
        model=_clean(exif.get(_MODEL))[:100],
        camera_time=camera_time,
        time_source=time_source,
        species_tag=species,
        individual_tag=individual,
    )

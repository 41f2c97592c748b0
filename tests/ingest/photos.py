"""Write real JPEG files for ingest tests (PIL pixels, piexif EXIF, optional XMP packet)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import piexif
from PIL import Image

XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:lr="http://ns.adobe.com/lightroom/1.0/">
<lr:hierarchicalSubject><rdf:Bag>{items}</rdf:Bag></lr:hierarchicalSubject>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def xmp_packet(*subjects: str) -> bytes:
    items = "".join(f"<rdf:li>{s}</rdf:li>" for s in subjects)
    return XMP_TEMPLATE.format(items=items).encode("utf-8")


def make_jpeg(
    path: Path,
    *,
    when: dt.datetime | None = None,
    make: str = "",
    model: str = "",
    orientation: int | None = None,
    size: tuple[int, int] = (64, 48),
    xmp: bytes | None = None,
    seed: str | None = None,
) -> Path:
    """A small JPEG whose pixels depend on ``seed`` (default: the path) so files differ."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256((seed or str(path)).encode()).digest()
    im = Image.new("RGB", size, tuple(digest[:3]))
    im.putpixel((1, 1), tuple(digest[3:6]))
    zeroth: dict[int, object] = {}
    exif_ifd: dict[int, object] = {}
    if make:
        zeroth[piexif.ImageIFD.Make] = make.encode()
    if model:
        zeroth[piexif.ImageIFD.Model] = model.encode()
    if orientation is not None:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    if when is not None:
        exif_ifd[piexif.ExifIFD.DateTimeOriginal] = when.strftime("%Y:%m:%d %H:%M:%S").encode()
    kwargs: dict[str, object] = {"quality": 85}
    if zeroth or exif_ifd:
        kwargs["exif"] = piexif.dump({"0th": zeroth, "Exif": exif_ifd})
    if xmp is not None:
        kwargs["xmp"] = xmp
    im.save(path, "JPEG", **kwargs)
    return path

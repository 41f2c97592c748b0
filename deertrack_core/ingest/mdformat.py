"""Parse and validate a MegaDetector output file (pure: no database).

Two dialects, told apart by shape:

* **batch format 1.x** — an object with ``info.format_version`` "1.x", ``detection_categories``
  (id → name) and ``images[]`` whose ``detections[]`` have ``category`` (an id), ``conf`` and a
  normalised ``bbox`` ``[x, y, w, h]`` (top-left origin); a blank image has ``detections: []``, a
  failed one has ``failure`` and ``detections: null``.
* **list** (MegaDetector v6 CLI) — a JSON list of ``{"file", "detections": [{"category": name,
  "confidence", "bbox": [x1, y1, x2, y2] in pixels}]}``; a numeric category counts from 0
  (0 animal, 1 person, 2 vehicle).
* **speciesnet** — SpeciesNet's ``predictions.json`` (:mod:`.speciesnet`).

A 1.x file may carry a species classifier's results (run_md_and_speciesnet, MegaDetector's
classifiers): ``classifications`` [[class id, score], ...] per box, ``classification_categories``
(id → name) and optionally ``classification_category_descriptions`` (id → SpeciesNet taxonomy
string ``uuid;class;order;family;genus;species;common name``).

Any problem raises DetectionFileError naming the entry (index and file) and what is wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deertrack_core.errors import DetectionFileError
from deertrack_core.ingest.rawboxes import RawBox, RawEntry, category_of

DEFAULT_THRESHOLD = 0.2
_V6_IDS = {0: "animal", 1: "person", 2: "vehicle"}
_FIX = "Re-export the file from the detector, or correct that entry by hand."


@dataclass(frozen=True)
class DetectionFile:
    dialect: str  # "1.x" | "list" | "speciesnet"
    format_version: str
    detector: str
    typical_threshold: float | None
    entries: tuple[RawEntry, ...]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Ctx:
    def __init__(self, name: str):
        self.name = name

    def fail(self, where: str, problem: str) -> DetectionFileError:
        return DetectionFileError(f"{self.name}: {where}: {problem}.", _FIX)


def parse_detection_file(path: Path) -> DetectionFile:
    """Read and validate a detector output file. Raises DetectionFileError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DetectionFileError(
            f"Cannot read {path}: {exc.strerror or exc}.", "Check the path of the JSON file."
        ) from exc
    except UnicodeDecodeError as exc:
        raise DetectionFileError(f"{path.name} is not UTF-8 text.", "Give the JSON file.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DetectionFileError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            "The file may be cut short; export it again.",
        ) from exc
    return parse_detections(data, name=path.name)


def parse_detections(data: Any, *, name: str = "detections") -> DetectionFile:
    """Validate already-decoded JSON (see the module docstring for the dialects)."""
    ctx = _Ctx(name)
    if isinstance(data, list):
        entries = tuple(_list_entry(ctx, i, item) for i, item in enumerate(data))
        _no_repeats(ctx, entries, "[{i}]")
        return DetectionFile("list", "", "", None, entries)
    if not isinstance(data, dict):
        raise ctx.fail("top level", f"expected an object or a list, found {type(data).__name__}")
    if "predictions" in data and "images" not in data:
        from deertrack_core.ingest.speciesnet import parse_predictions

        entries = parse_predictions(ctx, data["predictions"])
        _no_repeats(ctx, entries, "predictions[{i}]")
        return DetectionFile("speciesnet", "", "SpeciesNet", None, entries)
    if "images" not in data:
        raise ctx.fail("top level", "no 'images' list (not a MegaDetector batch output file)")
    info = data.get("info") or {}
    if not isinstance(info, dict):
        raise ctx.fail("info", "expected an object")
    version = str(info.get("format_version", "1.0"))
    if not version.startswith("1."):
        raise ctx.fail("info.format_version", f"{version!r} is not a 1.x format this reader knows")
    meta = info.get("detector_metadata") or {}
    threshold = meta.get("typical_detection_threshold") if isinstance(meta, dict) else None
    if threshold is not None and not (_is_number(threshold) and 0 <= threshold <= 1):
        raise ctx.fail(
            "info.detector_metadata.typical_detection_threshold",
            f"{threshold!r} is not a number between 0 and 1",
        )
    cats = data.get("detection_categories")
    if cats is None:
        cats = {"1": "animal", "2": "person", "3": "vehicle"}
    if not isinstance(cats, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in cats.items()
    ):
        raise ctx.fail("detection_categories", "expected an object of id → name strings")
    images = data["images"]
    if not isinstance(images, list):
        raise ctx.fail("images", f"expected a list, found {type(images).__name__}")
    classes = data.get("classification_categories") or {}
    if not isinstance(classes, dict):
        raise ctx.fail("classification_categories", "expected an object of id → name strings")
    taxa = data.get("classification_category_descriptions") or {}
    if not isinstance(taxa, dict):
        raise ctx.fail("classification_category_descriptions", "expected an object of id → text")
    classes = {
        k: (v, taxa.get(k) if isinstance(taxa.get(k), str) else None) for k, v in classes.items()
    }
    entries = tuple(_v1_entry(ctx, i, item, cats, classes) for i, item in enumerate(images))
    _no_repeats(ctx, entries, "images[{i}]")
    return DetectionFile(
        "1.x",
        version,
        str(info.get("detector", "")),
        None if threshold is None else float(threshold),
        entries,
    )


def _no_repeats(ctx: _Ctx, entries: tuple[RawEntry, ...], where: str) -> None:
    seen: dict[str, int] = {}
    for e in entries:
        if e.file in seen:
            first = where.format(i=seen[e.file])
            raise ctx.fail(
                f"{where.format(i=e.index)} ({e.file})", f"the same file is listed at {first}"
            )
        seen[e.file] = e.index


def _file_of(ctx: _Ctx, where: str, item: Any, keys: tuple[str, ...]) -> str:
    if not isinstance(item, dict):
        raise ctx.fail(where, f"expected an object, found {type(item).__name__}")
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise ctx.fail(where, f"no file path ('{keys[0]}')")


def _failure(ctx: _Ctx, where: str, item: dict) -> str | None:
    failure = item.get("failure")
    if failure is None:
        return None
    if item.get("detections"):
        raise ctx.fail(where, "has both a failure and detections")
    return str(failure)


def _v1_entry(
    ctx: _Ctx, i: int, item: Any, cats: dict[str, str], classes: dict[str, Any]
) -> RawEntry:
    file = _file_of(ctx, f"images[{i}]", item, ("file",))
    where = f"images[{i}] ({file})"
    failure = _failure(ctx, where, item)
    if failure is not None:
        return RawEntry(i, file, (), failure)
    dets = item.get("detections")
    if not isinstance(dets, list):
        found = "null" if dets is None else type(dets).__name__
        raise ctx.fail(where, f"'detections' is {found} and there is no 'failure'")
    boxes = []
    for j, det in enumerate(dets):
        dwhere = f"{where} detections[{j}]"
        if not isinstance(det, dict):
            raise ctx.fail(dwhere, "expected an object")
        cat = det.get("category")
        if str(cat) not in cats:
            raise ctx.fail(
                dwhere, f"category {cat!r} is not in detection_categories ({', '.join(cats)})"
            )
        conf = det.get("conf", det.get("confidence"))
        if not (_is_number(conf) and 0 <= conf <= 1):
            raise ctx.fail(dwhere, f"conf {conf!r} is not a number between 0 and 1")
        bbox = _four(ctx, dwhere, det.get("bbox"), "normalised [x, y, w, h]")
        x, y, w, h = bbox
        if w < 0 or h < 0 or min(x, y) < -0.01 or x + w > 1.01 or y + h > 1.01:
            raise ctx.fail(dwhere, f"bbox {list(bbox)} is not a normalised [x, y, w, h] box")
        label = cats[str(cat)]
        name, score, taxonomy = _top_class(ctx, dwhere, det.get("classifications"), classes)
        boxes.append(
            RawBox(category_of(label), label, float(conf), bbox, False, name, score, taxonomy)
        )
    return RawEntry(i, file, tuple(boxes), None)


def _top_class(
    ctx: _Ctx, where: str, value: Any, classes: dict[str, Any]
) -> tuple[str | None, float | None, str | None]:
    """The best classification of a box, its score and taxonomy: ``classifications`` is
    [[class id, score], ...]."""
    if not value:
        return None, None, None
    if not isinstance(value, list) or not all(
        isinstance(c, list) and len(c) == 2 and _is_number(c[1]) for c in value
    ):
        raise ctx.fail(where, "classifications is not a list of [class id, score] pairs")
    best = max(value, key=lambda c: c[1])
    name, taxonomy = classes.get(str(best[0]), (None, None))
    if not isinstance(name, str):
        raise ctx.fail(where, f"class {best[0]!r} is not in classification_categories")
    return name, float(best[1]), taxonomy


def _list_entry(ctx: _Ctx, i: int, item: Any) -> RawEntry:
    file = _file_of(ctx, f"[{i}]", item, ("file", "img_id", "image", "filename"))
    where = f"[{i}] ({file})"
    failure = _failure(ctx, where, item)
    if failure is not None:
        return RawEntry(i, file, (), failure)
    dets = item.get("detections")
    if not isinstance(dets, list):
        raise ctx.fail(where, "'detections' is not a list")
    boxes = []
    for j, det in enumerate(dets):
        dwhere = f"{where} detections[{j}]"
        if not isinstance(det, dict):
            raise ctx.fail(dwhere, "expected an object")
        cat = det.get("category", det.get("label"))
        if isinstance(cat, int) and not isinstance(cat, bool) and cat in _V6_IDS:
            label = _V6_IDS[cat]
        elif isinstance(cat, str) and cat.strip():
            label = cat.strip()
        else:
            raise ctx.fail(dwhere, f"category {cat!r} is not a name or a class id 0-2")
        conf = det.get("confidence", det.get("conf"))
        if not (_is_number(conf) and 0 <= conf <= 1):
            raise ctx.fail(dwhere, f"confidence {conf!r} is not a number between 0 and 1")
        bbox = _four(ctx, dwhere, det.get("bbox", det.get("xyxy")), "pixel [x1, y1, x2, y2]")
        x1, y1, x2, y2 = bbox
        if x2 < x1 or y2 < y1 or min(bbox) < 0:
            raise ctx.fail(dwhere, f"bbox {list(bbox)} is not a pixel [x1, y1, x2, y2] box")
        boxes.append(RawBox(category_of(label), label, float(conf), bbox, True))
    return RawEntry(i, file, tuple(boxes), None)


def _four(ctx: _Ctx, where: str, bbox: Any, what: str) -> tuple[float, float, float, float]:
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(_is_number(v) for v in bbox):
        raise ctx.fail(where, f"bbox {bbox!r} is not four numbers ({what})")
    return (float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]))

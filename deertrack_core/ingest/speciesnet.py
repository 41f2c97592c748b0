"""SpeciesNet's ``predictions.json``, read into the same entries as a MegaDetector file.

SpeciesNet (Google's camera-trap species classifier, which runs MegaDetector first) writes::

    {"predictions": [{"filepath": "...",
                      "detections": [{"category": "1", "label": "animal", "conf": 0.93,
                                      "bbox": [x, y, w, h]}],            # normalised, top left
                      "classifications": {"classes": ["uuid;class;order;family;genus;species;common"],
                                          "scores": [0.98]},
                      "prediction": "uuid;mammalia;...;white-tailed deer",
                      "prediction_score": 0.98, "failures": ["CLASSIFIER"], ...}]}

The ensemble's ``prediction`` names one species per photo; it is given to every animal box of
the photo with ``prediction_score`` (labels that name no species, such as ``blank`` or
``animal``, give none). A photo with no detections because the detector failed is reported as
failed, like a MegaDetector ``failure``.
"""

from __future__ import annotations

import math
from typing import Any

from deertrack_core.ingest.rawboxes import RawBox, RawEntry, category_of


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _species(prediction: Any) -> tuple[str | None, str | None]:
    """(common name, taxonomy string) of a prediction that names a species or a higher taxon."""
    if not isinstance(prediction, str) or prediction.count(";") != 6:
        return None, None
    parts = [p.strip() for p in prediction.split(";")]
    if not any(parts[1:6]):
        return None, None  # blank, animal, vehicle: no taxon
    common = parts[6] or " ".join(p for p in parts[4:6] if p) or parts[3] or parts[1]
    return common, prediction


def parse_predictions(ctx, predictions: Any) -> tuple[RawEntry, ...]:
    """Entries of a SpeciesNet ``predictions`` list; ``ctx.fail`` names a malformed one."""
    if not isinstance(predictions, list):
        raise ctx.fail("predictions", f"expected a list, found {type(predictions).__name__}")
    return tuple(_entry(ctx, i, item) for i, item in enumerate(predictions))


def _entry(ctx, i: int, item: Any) -> RawEntry:
    where = f"predictions[{i}]"
    if not isinstance(item, dict):
        raise ctx.fail(where, f"expected an object, found {type(item).__name__}")
    file = item.get("filepath")
    if not isinstance(file, str) or not file.strip():
        raise ctx.fail(where, "no file path ('filepath')")
    file = file.strip()
    where = f"{where} ({file})"
    dets = item.get("detections")
    failures = item.get("failures") or []
    if dets is None:
        if "DETECTOR" in failures:
            return RawEntry(i, file, (), "SpeciesNet: the detector failed on this photo")
        dets = []
    if not isinstance(dets, list):
        raise ctx.fail(where, "'detections' is not a list")
    name, taxonomy = _species(item.get("prediction"))
    score = item.get("prediction_score")
    if score is not None and not (_number(score) and 0 <= score <= 1):
        raise ctx.fail(where, f"prediction_score {score!r} is not a number between 0 and 1")
    boxes = []
    for j, det in enumerate(dets):
        dwhere = f"{where} detections[{j}]"
        if not isinstance(det, dict):
            raise ctx.fail(dwhere, "expected an object")
        label = det.get("label") or {"1": "animal", "2": "human", "3": "vehicle"}.get(
            str(det.get("category")), ""
        )
        if not isinstance(label, str) or not label:
            raise ctx.fail(dwhere, f"category {det.get('category')!r} is not 1, 2 or 3")
        conf = det.get("conf")
        if not (_number(conf) and 0 <= conf <= 1):
            raise ctx.fail(dwhere, f"conf {conf!r} is not a number between 0 and 1")
        bbox = det.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
            raise ctx.fail(dwhere, f"bbox {bbox!r} is not four numbers (normalised [x, y, w, h])")
        x, y, w, h = (float(v) for v in bbox)
        if w < 0 or h < 0 or min(x, y) < -0.01 or x + w > 1.01 or y + h > 1.01:
            raise ctx.fail(dwhere, f"bbox {bbox} is not a normalised [x, y, w, h] box")
        category = category_of(label)
        animal = category == "animal" and name is not None
        boxes.append(
            RawBox(
                category,
                label,
                float(conf),
                (x, y, w, h),
                False,
                name if animal else None,
                float(score) if animal and score is not None else None,
                taxonomy if animal else None,
            )  # fmt: skip
        )
    return RawEntry(i, file, tuple(boxes), None)

"""Class maps: what a detector's class ids mean, and which DeerTrack category each one is.

A detector's classes become ``animal``, ``person`` or ``vehicle`` boxes (the categories of
MegaDetector and Camtrap DP); classes mapped to None are dropped. Sources, first found wins:

1. ``--class-map`` / ``class_map=``: ``megadetector``, ``coco80`` or a JSON file;
2. the model's own metadata (an Ultralytics export writes ``names``: ``{0: 'animal', ...}``);
3. the number of classes: 3 → MegaDetector, 80 → COCO-80.

A JSON class map is ``{"0": "animal", "1": "person"}`` (names are put in a category as
MegaDetector files are read: person..., vehicle..., anything else is an animal) or, to say the
category outright or drop a class, ``{"0": {"label": "car", "category": "vehicle"},
"1": {"label": "tree", "category": null}}``.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deertrack_core.errors import ConfigurationError
from deertrack_core.ingest.rawboxes import category_of

CATEGORIES = ("animal", "person", "vehicle")

COCO80 = (
    "person bicycle car motorcycle airplane bus train truck boat traffic-light fire-hydrant "
    "stop-sign parking-meter bench bird cat dog horse sheep cow elephant bear zebra giraffe "
    "backpack umbrella handbag tie suitcase frisbee skis snowboard sports-ball kite "
    "baseball-bat baseball-glove skateboard surfboard tennis-racket bottle wine-glass cup fork "
    "knife spoon bowl banana apple sandwich orange broccoli carrot hot-dog pizza donut cake "
    "chair couch potted-plant bed dining-table toilet tv laptop mouse remote keyboard "
    "cell-phone microwave oven toaster sink refrigerator book clock vase scissors teddy-bear "
    "hair-drier toothbrush"
).split()
#: COCO-80 ids of animals (bird .. giraffe), people and vehicles; the rest are dropped.
COCO_ANIMALS = range(14, 24)
COCO_VEHICLES = range(1, 9)


@dataclass(frozen=True)
class ClassMap:
    name: str  # where it came from, for messages
    labels: tuple[str, ...]  # class id -> label
    categories: tuple[str | None, ...]  # class id -> animal | person | vehicle | None (dropped)

    def __len__(self) -> int:
        return len(self.labels)


def megadetector() -> ClassMap:
    return ClassMap(
        "megadetector", ("animal", "person", "vehicle"), ("animal", "person", "vehicle")
    )


def coco80() -> ClassMap:
    cats: list[str | None] = [None] * 80
    cats[0] = "person"
    for i in COCO_ANIMALS:
        cats[i] = "animal"
    for i in COCO_VEHICLES:
        cats[i] = "vehicle"
    return ClassMap("coco80", tuple(COCO80), tuple(cats))


def from_names(names: dict[int, Any] | list[Any], source: str) -> ClassMap:
    """A class map from id → label or id → {"label", "category"} (ids 0..n-1)."""
    if isinstance(names, list):
        names = dict(enumerate(names))
    try:
        ids = sorted(int(k) for k in names)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"The class map {source} has ids that are not numbers.", 'Write {"0": "animal", ...}.'
        ) from None
    if ids != list(range(len(ids))):
        raise ConfigurationError(
            f"The class map {source} does not number its classes 0..{len(ids) - 1}.",
            "Give every class id from 0 up once.",
        )
    by_id = {int(k): v for k, v in names.items()}
    labels, cats = [], []
    for i in ids:
        value = by_id[i]
        if isinstance(value, dict):
            label = str(value.get("label", i))
            cat = value.get("category", category_of(label))
            if cat is not None and cat not in CATEGORIES:
                raise ConfigurationError(
                    f"The class map {source} gives class {i} the category {cat!r}.",
                    f"Use one of {', '.join(CATEGORIES)}, or null to drop the class.",
                )
        else:
            label, cat = str(value), category_of(str(value))
        labels.append(label)
        cats.append(cat)
    return ClassMap(source, tuple(labels), tuple(cats))


def load_class_map(spec: str) -> ClassMap:
    """``megadetector``, ``coco80`` or the path of a JSON class map."""
    key = spec.strip().lower()
    if key in ("megadetector", "md"):
        return megadetector()
    if key in ("coco80", "coco"):
        return coco80()
    path = Path(spec).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the class map {spec}: {exc.strerror or exc}.",
            "Use megadetector, coco80 or the path of a JSON file.",
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"The class map {spec} is not JSON ({exc}).", "") from exc
    if not isinstance(data, dict | list):
        raise ConfigurationError(f"The class map {spec} is not an object or a list.", "")
    return from_names(data, path.name)


def from_metadata(meta: dict[str, str]) -> ClassMap | None:
    """The class map an ONNX model carries in its metadata (Ultralytics ``names``), if any."""
    for key in ("names", "classes", "labels"):
        text = meta.get(key)
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            try:
                value = ast.literal_eval(text)  # "{0: 'animal', 1: 'person'}"
            except (ValueError, SyntaxError):
                continue
        if isinstance(value, dict | list) and value:
            return from_names(value, f"model metadata '{key}'")
    return None


def resolve(n_classes: int | None, spec: str | None, meta: dict[str, str]) -> ClassMap:
    """The class map for a model with ``n_classes`` classes (see the module docstring); None:
    the output does not tell (an end-to-end model), and MegaDetector's three are assumed."""
    found = load_class_map(spec) if spec else from_metadata(meta)
    if found is None:
        if n_classes in (3, None):
            found = megadetector()
        elif n_classes == 80:
            found = coco80()
        else:
            raise ConfigurationError(
                f"The detector has {n_classes} classes and no class names in its metadata.",
                'Give a class map: --class-map FILE.json ({"0": "animal", ...}).',
            )
    if n_classes is not None and len(found) != n_classes:
        raise ConfigurationError(
            f"The class map {found.name} has {len(found)} classes but the model has {n_classes}.",
            "Give the class map that belongs to this model.",
        )
    return found

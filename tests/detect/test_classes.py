"""Class maps: built in, from a JSON file, from a model's metadata, and their errors."""

from __future__ import annotations

import json

import pytest

from deertrack_core.detect import classes
from deertrack_core.errors import ConfigurationError


def test_coco80_keeps_animals_people_and_vehicles_only():
    coco = classes.coco80()
    assert len(coco) == 80
    assert [coco.labels[i] for i in (14, 23)] == ["bird", "giraffe"]
    assert {coco.categories[i] for i in range(14, 24)} == {"animal"}
    assert (coco.categories[0], coco.categories[2], coco.categories[13]) == (
        "person",
        "vehicle",
        None,
    )


def test_a_json_class_map(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"0": "white-tailed deer", "1": "person",
                                "2": {"label": "stump", "category": None}}))  # fmt: skip
    found = classes.load_class_map(str(path))
    assert found.labels == ("white-tailed deer", "person", "stump")
    assert found.categories == ("animal", "person", None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"0": "a", "2": "b"}, "does not number its classes 0..1"),
        ({"x": "a"}, "ids that are not numbers"),
        ({"0": {"label": "a", "category": "plant"}}, "category 'plant'"),
    ],
)
def test_bad_json_class_maps_are_named(tmp_path, content, message):
    path = tmp_path / "map.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ConfigurationError, match=message):
        classes.load_class_map(str(path))


def test_metadata_names_as_ultralytics_writes_them():
    found = classes.from_metadata({"names": "{0: 'animal', 1: 'person', 2: 'vehicle'}"})
    assert found.labels == ("animal", "person", "vehicle")
    assert classes.from_metadata({"author": "x"}) is None


def test_resolve_by_class_count_and_mismatch():
    assert classes.resolve(3, None, {}).name == "megadetector"
    assert classes.resolve(80, None, {}).name == "coco80"
    with pytest.raises(ConfigurationError, match="7 classes and no class names"):
        classes.resolve(7, None, {})
    with pytest.raises(ConfigurationError, match="has 80 classes but the model has 3"):
        classes.resolve(3, "coco80", {})

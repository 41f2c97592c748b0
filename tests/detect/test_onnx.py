"""The ONNX backend on models exported with torch (every layout) and on the YOLOX-Nano stand-in."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from deertrack_core.detect import get_detector, registry
from deertrack_core.detect.onnx_backend import OnnxDetector, providers
from deertrack_core.detect.run import detect_photo
from deertrack_core.errors import ConfigurationError, ModelUnavailableError
from tests.detect.models import EXPECTED, EXPECTED_YOLOX, MD_NAMES, export, frame


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return {
        layout: export(
            folder / f"{layout}.onnx", layout, names=MD_NAMES if layout == "end2end" else None
        )
        for layout in ("yolov5", "yolov8", "yolox", "end2end")
    }


@pytest.mark.parametrize("layout", ["yolov5", "yolov8", "yolox", "end2end"])
def test_every_layout_decodes_to_the_same_boxes(models, layout):
    detector = OnnxDetector(models[layout])
    assert detector.layout == layout
    assert detector.input_size == (64, 64)
    (boxes,) = detector.detect([frame()], threshold=0.2)
    found = [(b.category, round(b.score, 3), tuple(round(v, 5) for v in b.box)) for b in boxes]
    assert found == (EXPECTED_YOLOX if layout == "yolox" else EXPECTED)


def test_threshold_and_batches(models):
    detector = OnnxDetector(models["yolov5"])
    first, second = detector.detect([frame(), frame(90, 90)], threshold=0.8)
    assert [b.category for b in first] == ["animal"] == [b.category for b in second]
    assert detector.detect([], threshold=0.2) == []


def test_a_class_map_renames_and_drops_classes(models, tmp_path):
    path = tmp_path / "map.json"
    path.write_text(
        '{"0": "white-tailed deer", "1": {"label": "stump", "category": null}, "2": "car"}'
    )
    (boxes,) = OnnxDetector(models["yolov8"], class_map=str(path)).detect([frame()], threshold=0.2)
    assert [(b.category, b.label) for b in boxes] == [("animal", "white-tailed deer")]


def test_the_model_id_names_the_file_and_its_content(models, tmp_path):
    copy = tmp_path / "yolov5.onnx"
    copy.write_bytes(models["yolov5"].read_bytes())
    a, b = OnnxDetector(models["yolov5"]), OnnxDetector(copy)
    assert a.name == b.name and a.name.startswith("onnx:yolov5@")
    assert OnnxDetector(models["yolov8"]).name != a.name


def test_registry_errors_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("DEERTRACK_DETECTOR", raising=False)
    with pytest.raises(ConfigurationError, match="No detector is configured"):
        get_detector()
    with pytest.raises(ConfigurationError, match="Unknown detector 'yolo:x'"):
        get_detector("yolo:x")
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        get_detector(f"onnx:{tmp_path / 'absent.onnx'}")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelUnavailableError, match="cannot be loaded as an ONNX model"):
        get_detector(f"onnx:{bad}")


def test_registry_loads_once(models):
    registry.clear_loaded()
    assert get_detector(f"onnx:{models['yolov5']}") is get_detector(f"onnx:{models['yolov5']}")


def test_cpu_provider_and_a_cuda_request_without_cuda(monkeypatch):
    assert providers("cpu") == ["CPUExecutionProvider"]
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(ConfigurationError, match="onnxruntime-gpu"):
        providers("cuda")
    assert providers("auto") == ["CPUExecutionProvider"]


def test_yolox_nano_finds_the_nyala(shared):
    model = shared / "models" / "yolox_nano_coco.onnx"
    detector = get_detector(f"onnx:{model}")
    assert (detector.layout, detector.input_size, detector.classes.name) == (
        "yolox",
        (416, 416),
        "coco80",
    )
    photo = next(iter(sorted((shared / "data" / "nyala-dev").glob("*/*.jpg"))))
    boxes = [b for b in detect_photo(detector, photo, 0.3) if b.category == "animal"]
    assert boxes and boxes[0].label in ("cow", "horse", "dog", "sheep")
    x, y, w, h = boxes[0].box
    assert 0 <= x < x + w <= 1.0001 and 0 <= y < y + h <= 1.0001 and w * h > 0.05
    # the frame decoded at reduced scale gives the boxes of the full photo
    full = np.asarray(ImageOps.exif_transpose(Image.open(photo)).convert("RGB"))
    again = [b for b in detector.detect([full], threshold=0.3)[0] if b.category == "animal"]
    np.testing.assert_allclose(again[0].box, boxes[0].box, atol=0.02)

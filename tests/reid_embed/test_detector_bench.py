from __future__ import annotations

import numpy as np
import pytest

from deertrack_core.errors import ModelUnavailableError
from deertrack_core.reid.detector_bench import _grid, nms


def test_grid_covers_the_3549_anchor_points():
    cells, strides = _grid()
    assert cells.shape == (3549, 2) and strides.shape == (3549, 1)
    assert cells[:2].tolist() == [[0, 0], [1, 0]]  # x varies fastest
    assert cells[-1].tolist() == [12, 12] and strides[-1, 0] == 32


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=float)
    assert nms(boxes, np.array([0.5, 0.9, 0.4]), 0.5) == [1, 2]


def test_missing_model_file_is_named(tmp_path):
    pytest.importorskip("onnxruntime")
    from deertrack_core.reid.detector_bench import YoloxDetector

    with pytest.raises(ModelUnavailableError, match="--detector"):
        YoloxDetector(tmp_path / "absent.onnx")


def test_detector_finds_the_nyala(shared):
    pytest.importorskip("onnxruntime")
    from deertrack_core.reid.detector_bench import YoloxDetector

    model = shared / "models" / "yolox_nano_coco.onnx"
    if not model.is_file():
        pytest.skip("the benchmark detector model is absent")
    photo = next(iter(sorted((shared / "data" / "nyala-dev").glob("*/*.jpg"))))
    boxes = YoloxDetector(model).detect(photo)
    assert boxes and 14 <= boxes[0].class_id <= 23
    x, y, w, h = boxes[0].box
    assert 0 <= x < x + w <= 1.0001 and 0 <= y < y + h <= 1.0001 and w * h > 0.05

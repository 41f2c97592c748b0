"""YOLO-family decoding in numpy: letterbox, layouts, decoding, NMS (small hand-made arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from deertrack_core.detect import yolo
from tests.detect.models import CELLS_64, fixed_output


def test_letterbox_centres_or_pins_top_left():
    frame = np.full((50, 100, 3), 200, dtype=np.uint8)
    canvas, box = yolo.letterbox(frame, (64, 64))
    assert canvas.shape == (64, 64, 3)
    assert (box.ratio, box.pad_x, box.pad_y) == (0.64, 0.0, 16.0)
    assert canvas[0, 0, 0] == 114 and canvas[32, 32, 0] == 200
    canvas, box = yolo.letterbox(frame, (64, 64), centred=False)
    assert (box.pad_x, box.pad_y) == (0.0, 0.0) and canvas[63, 0, 0] == 114


@pytest.mark.parametrize(
    ("shape", "size", "layout"),
    [
        ((1, 3 * 8400, 85), (640, 640), "yolov5"),
        ((1, 3 * 34000, 8), (1280, 1280), "yolov5"),  # MegaDetector v5a: P6, 1280 px
        ((1, 84, 8400), (640, 640), "yolov8"),
        ((1, 7, 34000), (1280, 1280), "yolov8"),  # MegaDetector v6 at 1280
        ((1, 3549, 85), (416, 416), "yolox"),
        ((1, 300, 6), (640, 640), "end2end"),
    ],
)
def test_layout_from_the_output_shape(shape, size, layout):
    assert yolo.detect_layout(shape, size) == layout


def test_an_anchor_free_output_with_pixel_centres_is_read_as_decoded():
    decoded = np.zeros((3549, 85), dtype=np.float32)
    decoded[:, 0] = np.linspace(0, 416, 3549)  # centres in pixels: YOLOX exported with its decoder
    assert yolo.detect_layout((1, 3549, 85), (416, 416), decoded) == "yolov5"
    raw = np.zeros((3549, 85), dtype=np.float32)
    raw[:, 0] = 0.7
    assert yolo.detect_layout((1, 3549, 85), (416, 416), raw) == "yolox"


def test_an_unknown_shape_is_named():
    with pytest.raises(ValueError, match=r"\(1, 2, 3, 4\) is not \(batch, rows, columns\)"):
        yolo.detect_layout((1, 2, 3, 4), (64, 64))


def test_grid_orders_x_fastest():
    cells, strides = yolo.grid((64, 64))
    assert cells.shape == (CELLS_64, 2)
    assert cells[:2].tolist() == [[0, 0], [1, 0]] and strides[0, 0] == 8
    assert cells[-1].tolist() == [1, 1] and strides[-1, 0] == 32


@pytest.mark.parametrize("layout", ["yolov5", "yolov8", "yolox", "end2end"])
def test_decode_finds_the_animal_box_in_input_pixels(layout):
    cand = yolo.decode(fixed_output(layout)[0], layout, (64, 64), min_score=0.6)
    best = int(np.argmax(cand.scores))
    expected = [16, 8, 48, 24] if layout == "yolox" else [16, 24, 48, 40]
    np.testing.assert_allclose(cand.xyxy[best], expected, atol=1e-4)
    assert cand.scores[best] == pytest.approx(0.855) and cand.classes[best] == 0
    assert set(cand.classes.tolist()) == {0, 1}  # the weak copy (0.475) is under min_score


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=float)
    assert yolo.nms(boxes, np.array([0.5, 0.9, 0.4]), 0.5) == [1, 2]


def test_nms_by_group_does_not_suppress_across_groups():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7])
    assert yolo.nms_by_group(boxes, scores, np.array([0, 0, 1]), 0.5) == [0, 2]
    assert yolo.nms_by_group(np.zeros((0, 4)), np.zeros(0), np.zeros(0), 0.5) == []


def test_to_frame_undoes_the_letterbox_and_clips():
    _, box = yolo.letterbox(np.zeros((64, 128, 3), dtype=np.uint8), (64, 64))
    norm = yolo.to_frame(np.array([[16.0, 24.0, 48.0, 40.0], [-10.0, 0.0, 10.0, 30.0]]), box)
    np.testing.assert_allclose(norm[0], [0.25, 0.25, 0.5, 0.5])
    np.testing.assert_allclose(norm[1], [0.0, 0.0, 20 / 128, 28 / 64])  # clipped at the edges

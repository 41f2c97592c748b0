"""Tiny detectors exported with torch.onnx.export, one per output layout, whose output is fixed:
each test knows exactly which boxes the decoder must find on a frame of known size."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

CELLS_64 = 64 + 16 + 4  # grid cells of a 64x64 input at strides 8, 16, 32
MD_NAMES = "{0: 'animal', 1: 'person', 2: 'vehicle'}"


#: What every layout's fixed output decodes to on a 128x64 frame: (category, score, box).
EXPECTED = [
    ("animal", 0.855, (0.25, 0.25, 0.5, 0.5)),
    ("person", 0.72, (0.09375, 0.28125, 0.125, 0.3125)),
]
#: YOLOX letterboxes at the top left, so the same boxes sit higher in its input.
EXPECTED_YOLOX = [
    ("animal", 0.855, (0.25, 0.25, 0.5, 0.5)),
    ("person", 0.72, (0.09375, 0.46875, 0.125, 0.3125)),
]


def fixed_output(layout: str, classes: int = 3, size: int = 64) -> np.ndarray:
    """A (1, rows, cols) output for a 64x64 input: an animal box 32x16 pixels (score
    0.9 x 0.95), a weaker copy of it that NMS must drop, and a person box 8x10 pixels. For a
    bigger ``size`` (yolov5 only) the same boxes are scaled with the input."""
    if size != 64:
        assert layout == "yolov5"
        out = fixed_output(layout, classes)
        big = np.zeros((1, 3 * (size // 8) ** 2 * 21 // 16, 5 + classes), dtype=np.float32)
        big[0, :3] = out[0, :3]
        big[0, :3, :4] *= size / 64
        return big
    if layout == "end2end":
        out = np.zeros((1, 300, 6), dtype=np.float32)
        out[0, 0] = [16, 24, 48, 40, 0.855, 0]
        out[0, 1] = [6, 25, 14, 35, 0.72, 1]
        return out
    if layout == "yolox":
        out = np.zeros((1, CELLS_64, 5 + classes), dtype=np.float32)
        # raw grid, stride 8 cell (x 3, y 1): centre ((1+3)*8, (1+1)*8) = (32, 16), 32x16
        out[0, 1 * 8 + 3, :5] = [1.0, 1.0, math.log(4), math.log(2), 0.9]
        out[0, 1 * 8 + 3, 5] = 0.95
        # stride 16 cell (2, 1): centre (32, 18), 32x16: overlaps the first, weaker
        out[0, 64 + 1 * 4 + 2, :5] = [0.0, 0.125, math.log(2), 0.0, 0.5]
        out[0, 64 + 1 * 4 + 2, 5] = 0.95
        # stride 8 cell (1, 2): centre (10, 20), 8x10: a person
        out[0, 2 * 8 + 1, :5] = [0.25, 0.5, 0.0, math.log(10 / 8), 0.8]
        out[0, 2 * 8 + 1, 6] = 0.9
        return out
    rows = np.zeros((3, 4 + 1 + classes), dtype=np.float32)
    rows[0, :5] = [32, 32, 32, 16, 0.9]
    rows[0, 5] = 0.95
    rows[1, :5] = [33, 32, 32, 16, 0.5]  # overlaps the first: suppressed
    rows[1, 5] = 0.95
    rows[2, :5] = [10, 30, 8, 10, 0.8]
    rows[2, 6] = 0.9
    if layout == "yolov5":
        out = np.zeros((1, 3 * CELLS_64, 5 + classes), dtype=np.float32)
        out[0, :3] = rows
        return out
    if layout == "yolov8":
        out = np.zeros((1, 4 + classes, CELLS_64), dtype=np.float32)
        for i, r in enumerate(rows):
            out[0, :4, i] = r[:4]
            out[0, 4:, i] = r[4] * r[5:]  # no objectness: class scores carry it
        return out
    raise ValueError(layout)


def export(path: Path, layout: str, *, size: int = 64, classes: int = 3, names: str | None = None,
           work: int = 1) -> Path:  # fmt: skip
    """Write an ONNX model of ``size`` input whose output is :func:`fixed_output` (a conv trunk
    of ``work`` layers runs on the input, so the model costs real time, but adds nothing)."""
    import onnx
    import torch

    out = torch.from_numpy(fixed_output(layout, classes, size))

    class Fixed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers = [torch.nn.Conv2d(3, 16, 3, padding=1)]
            layers += [torch.nn.Conv2d(16, 16, 3, padding=1) for _ in range(work - 1)]
            self.trunk = torch.nn.Sequential(*layers)
            self.register_buffer("out", out)

        def forward(self, x):
            return self.out + 0.0 * self.trunk(x).mean()

    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        Fixed().eval(), torch.zeros(1, 3, size, size), str(path), dynamo=False,
        input_names=["images"], output_names=["output0"],
    )  # fmt: skip
    if names is not None:
        model = onnx.load(str(path))
        model.metadata_props.add(key="names", value=names)
        onnx.save(model, str(path))
    return path


def frame(width: int = 128, height: int = 64) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (height, width, 3), dtype=np.uint8)

"""YOLO-family detector outputs, decoded in numpy: letterbox, layout, decode, NMS.

One ONNX detector may come from any of the YOLO lines MegaDetector and its users export; the
layout is told from the output's shape (and, for an anchor-free grid, its values):

=============  ======================  ==================================================
layout         output                  meaning of a row
=============  ======================  ==================================================
``yolov5``     ``(1, N, 5 + C)``       centre x, y, w, h in input pixels, objectness, C class
                                       scores. N = 3 anchors × the cells of strides 8-32
                                       (or 8-64: MegaDetector v5 is a 1280-pixel P6 model).
``yolox``      ``(1, N, 5 + C)``       the raw grid: dx, dy, log w, log h per cell (N = the
                                       cells of strides 8, 16, 32, one per cell), objectness,
                                       C class scores; decoded onto the grid here. A YOLOX
                                       exported with its decoder reads as ``yolov5``.
``yolov8``     ``(1, 4 + C, N)``       channels first: centre x, y, w, h in pixels, C class
                                       scores, no objectness (YOLOv8/v9/v11, MegaDetector v6).
``end2end``    ``(1, K, 6)``           x1, y1, x2, y2 in pixels, score, class: NMS done inside
                                       (YOLOv10; K is not a grid size).
=============  ======================  ==================================================

Everything here is pure numpy on arrays, so it is tested on small hand-made outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LAYOUTS = ("yolov5", "yolox", "yolov8", "end2end")
PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the model's input: ``input = frame * ratio + (pad_x, pad_y)``."""

    ratio: float
    pad_x: float
    pad_y: float
    width: int  # the frame's size
    height: int


def letterbox(
    frame: np.ndarray, size: tuple[int, int], *, centred: bool = True
) -> tuple[np.ndarray, Letterbox]:
    """The RGB uint8 ``frame`` (h, w, 3) scaled to fit ``size`` = (height, width), padded with
    grey 114: centred (YOLOv5/v8 training) or at the top left (YOLOX)."""
    from PIL import Image

    h, w = frame.shape[:2]
    in_h, in_w = size
    ratio = min(in_w / w, in_h / h)
    new_w, new_h = max(1, round(w * ratio)), max(1, round(h * ratio))
    if (new_w, new_h) != (w, h):
        frame = np.asarray(Image.fromarray(frame).resize((new_w, new_h), Image.Resampling.BILINEAR))
    pad_x = (in_w - new_w) / 2 if centred else 0.0
    pad_y = (in_h - new_h) / 2 if centred else 0.0
    left, top = int(round(pad_x - 0.1)), int(round(pad_y - 0.1))
    canvas = np.full((in_h, in_w, 3), PAD_VALUE, dtype=np.uint8)
    canvas[top : top + new_h, left : left + new_w] = frame
    return canvas, Letterbox(ratio, float(left), float(top), w, h)


def grid_cells(size: tuple[int, int], strides: tuple[int, ...]) -> int:
    in_h, in_w = size
    return sum((in_h // s) * (in_w // s) for s in strides)


def grid(
    size: tuple[int, int], strides: tuple[int, ...] = (8, 16, 32)
) -> tuple[np.ndarray, np.ndarray]:
    """Cell (x, y) and stride of every anchor point, x varying fastest (YOLOX's order)."""
    in_h, in_w = size
    cells, stride_col = [], []
    for s in strides:
        ys, xs = np.meshgrid(np.arange(in_h // s), np.arange(in_w // s), indexing="ij")
        cells.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
        stride_col.append(np.full((xs.size, 1), s))
    return (
        np.concatenate(cells).astype(np.float32),
        np.concatenate(stride_col).astype(np.float32),
    )


def detect_layout(
    shape: tuple[int, ...], size: tuple[int, int], sample: np.ndarray | None = None
) -> str:
    """The layout of an output of ``shape`` for an input of ``size``; ``sample`` (one output)
    tells YOLOX's raw grid from an already decoded anchor-free output."""
    if len(shape) != 3:
        raise ValueError(f"a detector output of shape {tuple(shape)} is not (batch, rows, columns)")
    _, a, b = shape
    one = {grid_cells(size, (8, 16, 32)), grid_cells(size, (8, 16, 32, 64))}
    if b in one and a < b:
        return "yolov8"
    if a in one and b > 5:
        if sample is not None and np.abs(sample[:, :2]).max() > 8:
            return "yolov5"  # decoded already: centres in pixels, not offsets within a cell
        return "yolox"
    if a in {3 * n for n in one} and b > 5:
        return "yolov5"
    if b == 6:
        return "end2end"
    if a < b:
        return "yolov8"
    raise ValueError(
        f"cannot tell the layout of a detector output of shape {tuple(shape)} for a "
        f"{size[1]}x{size[0]} input (expected YOLOv5 (1, N, 5+C), YOLOv8 (1, 4+C, N), "
        "YOLOX (1, N, 5+C) or an end-to-end (1, K, 6) output)"
    )


@dataclass(frozen=True)
class Candidates:
    """Boxes of one image before NMS: x1, y1, x2, y2 in input pixels, score, class id."""

    xyxy: np.ndarray  # (n, 4) float32
    scores: np.ndarray  # (n,)
    classes: np.ndarray  # (n,) int


def _centre_to_corners(xywh: np.ndarray) -> np.ndarray:
    half = xywh[:, 2:4] / 2
    return np.concatenate([xywh[:, :2] - half, xywh[:, :2] + half], axis=1)


def decode(
    out: np.ndarray,
    layout: str,
    size: tuple[int, int],
    *,
    min_score: float,
    strides: tuple[int, ...] = (8, 16, 32),
) -> Candidates:
    """Boxes of one image's output (batch dimension removed) scoring at least ``min_score``."""
    out = np.asarray(out, dtype=np.float32)
    if layout == "yolov8":
        out = out.T  # (N, 4 + C)
        cls = out[:, 4:]
        ids = cls.argmax(axis=1)
        scores = cls[np.arange(len(out)), ids]
        keep = scores >= min_score
        return Candidates(_centre_to_corners(out[keep, :4]), scores[keep], ids[keep])
    if layout == "end2end":
        keep = out[:, 4] >= min_score
        return Candidates(out[keep, :4], out[keep, 4], out[keep, 5].astype(int))
    if layout not in ("yolov5", "yolox"):
        raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    cls = out[:, 5:]
    ids = cls.argmax(axis=1)
    scores = out[:, 4] * cls[np.arange(len(out)), ids]
    keep = scores >= min_score
    boxes = out[keep, :4]
    if layout == "yolox":
        cells, stride = grid(size, strides)
        cells, stride = cells[keep], stride[keep]
        boxes = np.concatenate(
            [(boxes[:, :2] + cells) * stride, np.exp(boxes[:, 2:4]) * stride], axis=1
        )
    return Candidates(_centre_to_corners(boxes), scores[keep], ids[keep])


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best first; boxes are x1, y1, x2, y2."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.clip(
            np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]),
            0,
            None,
        )
        h = np.clip(
            np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]),
            0,
            None,
        )
        inter = w * h
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou < iou_threshold]
    return keep


def nms_by_group(
    boxes: np.ndarray, scores: np.ndarray, groups: np.ndarray, iou_threshold: float
) -> list[int]:
    """NMS within each group (a category: one animal gives one box even when two of the
    detector's classes fire on it), best first overall."""
    if not len(boxes):
        return []
    # Shifting each group far apart keeps boxes of different groups from overlapping.
    offset = (np.asarray(groups, dtype=np.float32) * (float(np.abs(boxes).max()) + 1.0))[:, None]
    return nms(boxes + offset, scores, iou_threshold)


def to_frame(xyxy: np.ndarray, box: Letterbox) -> np.ndarray:
    """Input-pixel corners back to normalised ``x, y, w, h`` of the frame, clipped to it."""
    x1 = ((xyxy[:, 0] - box.pad_x) / box.ratio).clip(0, box.width)
    y1 = ((xyxy[:, 1] - box.pad_y) / box.ratio).clip(0, box.height)
    x2 = ((xyxy[:, 2] - box.pad_x) / box.ratio).clip(0, box.width)
    y2 = ((xyxy[:, 3] - box.pad_y) / box.ratio).clip(0, box.height)
    return np.stack(
        [x1 / box.width, y1 / box.height, (x2 - x1) / box.width, (y2 - y1) / box.height], axis=1
    )

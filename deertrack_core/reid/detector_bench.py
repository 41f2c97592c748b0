"""A COCO YOLOX-Nano ONNX detector, for benchmarks and the evaluation command only.

The product takes its boxes from MegaDetector output files; this stands in where a folder has no
boxes (``deertrack evaluate --crop detector``, the burst-track benchmark). It needs
``onnxruntime`` (a benchmark-only requirement) and a model file the user names.

Model contract: input 416×416 BGR, letterboxed top-left with grey 114, raw float pixels; output
(1, 3549, 85) = per anchor point (strides 8, 16, 32) ``dx, dy, log w, log h, objectness,
80 class scores`` (sigmoids already applied), decoded here onto the grid, then NMS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from deertrack_core.errors import ConfigurationError, ModelUnavailableError

log = logging.getLogger(__name__)

INPUT = 416
STRIDES = (8, 16, 32)
ANIMAL_CLASSES = range(14, 24)  # bird, cat, dog, horse, sheep, cow, elephant, bear, zebra, giraffe


@dataclass(frozen=True)
class DetectedBox:
    box: tuple[float, float, float, float]  # normalised x, y, w, h of the upright photo
    score: float
    class_id: int


def _grid() -> tuple[np.ndarray, np.ndarray]:
    cells, strides = [], []
    for s in STRIDES:
        n = INPUT // s
        ys, xs = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        cells.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
        strides.append(np.full((n * n, 1), s))
    return np.concatenate(cells).astype(np.float32), np.concatenate(strides).astype(np.float32)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression; boxes are x1, y1, x2, y2."""
    order = np.argsort(-scores)
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


class YoloxDetector:
    """``detect(path)`` → animal boxes (score-sorted) of one photo."""

    def __init__(self, model_path: Path, *, threads: int = 0) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ConfigurationError(
                "The benchmark detector needs onnxruntime, which is not installed.",
                "pip install onnxruntime (pinned in requirements.txt under '# benchmarks only'), "
                "or evaluate on full frames (--crop full).",
            ) from None
        model_path = Path(model_path)
        if not model_path.is_file():
            raise ModelUnavailableError(
                f"Detector model {model_path} does not exist.",
                "Pass the path of yolox_nano_coco.onnx with --detector.",
            )
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        self.cells, self.strides = _grid()

    @staticmethod
    def letterbox(image: Image.Image) -> tuple[np.ndarray, float]:
        ratio = min(INPUT / image.width, INPUT / image.height)
        size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
        resized = np.asarray(image.convert("RGB").resize(size, Image.Resampling.BILINEAR))
        canvas = np.full((INPUT, INPUT, 3), 114, dtype=np.uint8)
        canvas[: size[1], : size[0]] = resized[..., ::-1]  # RGB -> BGR
        return canvas.transpose(2, 0, 1)[None].astype(np.float32), ratio

    def detect(
        self,
        path: Path,
        *,
        score_threshold: float = 0.3,
        iou_threshold: float = 0.45,
        classes: range | None = ANIMAL_CLASSES,
    ) -> list[DetectedBox]:
        with Image.open(path) as img:
            img.draft("RGB", (INPUT, INPUT))  # decode at reduced scale: the model sees 416 px
            upright = ImageOps.exif_transpose(img)
            upright.load()
        return self.detect_image(
            upright, score_threshold=score_threshold, iou_threshold=iou_threshold, classes=classes
        )

    def detect_image(
        self,
        image: Image.Image,
        *,
        score_threshold: float = 0.3,
        iou_threshold: float = 0.45,
        classes: range | None = ANIMAL_CLASSES,
    ) -> list[DetectedBox]:
        tensor, ratio = self.letterbox(image)
        raw = self.session.run(None, {self.input_name: tensor})[0][0]
        centre = (raw[:, :2] + self.cells) * self.strides
        size = np.exp(raw[:, 2:4]) * self.strides
        cls_scores = raw[:, 5:]
        if classes is not None:
            mask = np.zeros(cls_scores.shape[1], dtype=bool)
            mask[list(classes)] = True
            cls_scores = np.where(mask, cls_scores, 0.0)
        class_id = cls_scores.argmax(axis=1)
        scores = raw[:, 4] * cls_scores[np.arange(len(raw)), class_id]
        keep = scores >= score_threshold
        if not keep.any():
            return []
        xyxy = np.concatenate([centre - size / 2, centre + size / 2], axis=1)[keep] / ratio
        scores, class_id = scores[keep], class_id[keep]
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, image.width)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, image.height)
        # Class-agnostic NMS: one animal should give one box even if two classes fire on it.
        kept = nms(xyxy, scores, iou_threshold)
        out = []
        for i in kept:
            x1, y1, x2, y2 = xyxy[i]
            if x2 - x1 < 1 or y2 - y1 < 1:
                continue
            box = (
                x1 / image.width,
                y1 / image.height,
                (x2 - x1) / image.width,
                (y2 - y1) / image.height,
            )
            out.append(
                DetectedBox(tuple(float(v) for v in box), float(scores[i]), int(class_id[i]))
            )
        return out

"""``onnx:PATH``: a YOLO-family detector run by onnxruntime (CUDA when present, else CPU).

At load the model is run once on a blank input: the output's shape (and values, for an
anchor-free grid) give its layout (:func:`deertrack_core.detect.yolo.detect_layout`); the input
size comes from the model's input shape, else its metadata (``imgsz``), else 640. Input colour
follows the family: YOLOX takes BGR 0-255 letterboxed at the top left, the others RGB 0-1
letterboxed in the centre; a model may say otherwise in its metadata
(``deertrack_input``: ``bgr255`` or ``rgb01``).
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import numpy as np

import deertrack_core.detect.yolo as yolo
from deertrack_core import settings
from deertrack_core.detect.base import DetectedBox, model_id
from deertrack_core.detect.classes import ClassMap, resolve
from deertrack_core.errors import ConfigurationError, ModelUnavailableError

log = logging.getLogger(__name__)

DEFAULT_SIZE = 640
IOU = 0.45
MAX_BOXES = 100  # per photo
#: Boxes scoring below this are never looked at (the stored threshold is usually 0.2).
FLOOR = 0.01


def providers(device: str | None = None) -> list[str]:
    """onnxruntime providers for ``device`` (default DEERTRACK_DEVICE): CUDA first when wanted."""
    import onnxruntime as ort

    wanted = (device or settings.device() or "auto").strip().lower()
    available = ort.get_available_providers()
    has_cuda = "CUDAExecutionProvider" in available
    if wanted.startswith("cuda") and not has_cuda:
        raise ConfigurationError(
            f"DEERTRACK_DEVICE is {wanted!r} but this onnxruntime has no CUDA provider.",
            "pip install onnxruntime-gpu (same version as onnxruntime) or set DEERTRACK_DEVICE=cpu.",
        )
    if wanted not in ("auto", "cpu") and not wanted.startswith("cuda"):
        raise ConfigurationError(
            f"DEERTRACK_DEVICE has the unknown value {wanted!r}.", "Use auto, cpu or cuda."
        )
    if has_cuda and wanted != "cpu":
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def _input_size(shape: list, meta: dict[str, str]) -> tuple[int, int]:
    h, w = (shape[2], shape[3]) if len(shape) == 4 else (None, None)
    if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0:
        return h, w
    text = meta.get("imgsz")
    if text:
        try:
            value = ast.literal_eval(text)
            if isinstance(value, int):
                return value, value
            if isinstance(value, list | tuple) and len(value) == 2:
                return int(value[0]), int(value[1])
        except (ValueError, SyntaxError):
            pass
    return DEFAULT_SIZE, DEFAULT_SIZE


class OnnxDetector:
    """A YOLO-family ONNX model behind the Detector protocol."""

    def __init__(
        self,
        path: Path,
        *,
        class_map: str | None = None,
        device: str | None = None,
        threads: int = 0,
    ) -> None:
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise ModelUnavailableError(
                f"Detector model {path} does not exist.",
                "Give the path of a .onnx file (DEERTRACK_DETECTOR=onnx:PATH or --detector onnx:PATH).",
            )
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers(device))
        except ConfigurationError:
            raise
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ModelUnavailableError(
                f"{path.name} cannot be loaded as an ONNX model ({str(exc)[:200]}).",
                "Export the detector to ONNX again (README, 'Finding animals').",
            ) from exc
        self.name = model_id("onnx", path)
        self.device = "cuda" if "CUDAExecutionProvider" in self.session.get_providers() else "cpu"
        meta = dict(self.session.get_modelmeta().custom_metadata_map)
        first = self.session.get_inputs()[0]
        self.input_name = first.name
        self.input_size = _input_size(list(first.shape), meta)
        self.batched = not isinstance(first.shape[0], int) or first.shape[0] != 1
        self.fp16 = "float16" in first.type
        # One blank run tells the layout (and, for YOLOX, raw grid or decoded boxes).
        h, w = self.input_size
        out = self._run(np.full((1, 3, h, w), 0.5, dtype=np.float32))[0]
        try:
            self.layout = yolo.detect_layout(out.shape, self.input_size, out[0])
        except ValueError as exc:
            raise ModelUnavailableError(
                f"{path.name} is not a detector DeerTrack can read: {exc}.",
                "Export the model with its detection head (Ultralytics: format=onnx; YOLOX: "
                "tools/export_onnx.py); see the README, 'Finding animals'.",
            ) from exc
        # YOLOX (one box per grid cell, with objectness) was trained on BGR 0-255 pictures
        # letterboxed at the top left; the other lines on RGB 0-1 letterboxed in the centre.
        anchor_free = (
            out.shape[1] == yolo.grid_cells(self.input_size, (8, 16, 32)) and out.shape[2] > 5
        )
        colour = meta.get("deertrack_input") or ("bgr255" if anchor_free else "rgb01")
        self.bgr255 = colour == "bgr255"
        self.centred = not anchor_free
        # An end-to-end output (x1, y1, x2, y2, score, class) does not show how many classes.
        n_classes = {"yolov8": out.shape[1] - 4, "end2end": None}.get(self.layout, out.shape[2] - 5)
        self.classes: ClassMap = resolve(n_classes, class_map, meta)
        self._category_ids = np.array(
            [
                -1 if c is None else ("animal", "person", "vehicle").index(c)
                for c in self.classes.categories
            ]
        )
        log.info("%s: %s layout, input %dx%d, %s, %d classes (%s) on %s", self.name, self.layout,
                 w, h, colour, len(self.classes), self.classes.name, self.device)  # fmt: skip

    def _run(self, batch: np.ndarray) -> list[np.ndarray]:
        if self.fp16:
            batch = batch.astype(np.float16)
        out = self.session.run(None, {self.input_name: batch})[0]
        return [np.asarray(out, dtype=np.float32)]

    def preprocess(self, frames: list[np.ndarray]) -> tuple[np.ndarray, list[yolo.Letterbox]]:
        tensors, boxes = [], []
        for frame in frames:
            canvas, box = yolo.letterbox(frame, self.input_size, centred=self.centred)
            if self.bgr255:
                tensor = canvas[..., ::-1].astype(np.float32)
            else:
                tensor = canvas.astype(np.float32) / 255.0
            tensors.append(tensor.transpose(2, 0, 1))
            boxes.append(box)
        return np.ascontiguousarray(np.stack(tensors)), boxes

    def detect(self, frames: list[np.ndarray], *, threshold: float) -> list[list[DetectedBox]]:
        if not frames:
            return []
        batch, boxes = self.preprocess(frames)
        if self.batched:
            outs = self._run(batch)[0]
        else:
            outs = np.concatenate([self._run(batch[i : i + 1])[0] for i in range(len(batch))])
        return [self._boxes(out, box, threshold) for out, box in zip(outs, boxes, strict=True)]

    def _boxes(self, out: np.ndarray, box: yolo.Letterbox, threshold: float) -> list[DetectedBox]:
        cand = yolo.decode(out, self.layout, self.input_size, min_score=max(threshold, FLOOR))
        valid = (cand.classes >= 0) & (cand.classes < len(self.classes))
        groups = np.where(
            valid, self._category_ids[cand.classes.clip(0, len(self.classes) - 1)], -1
        )
        keep = groups >= 0
        xyxy, scores, classes, groups = (
            cand.xyxy[keep],
            cand.scores[keep],
            cand.classes[keep],
            groups[keep],
        )
        order = (
            yolo.nms_by_group(xyxy, scores, groups, IOU)
            if self.layout != "end2end"
            else list(np.argsort(-scores))
        )
        norm = yolo.to_frame(xyxy, box)
        out = []
        for i in order[:MAX_BOXES]:
            x, y, w, h = (float(v) for v in norm[i])
            if w * box.width < 1 or h * box.height < 1:
                continue
            c = int(classes[i])
            out.append(
                DetectedBox(
                    (x, y, w, h),
                    float(scores[i]),
                    self.classes.categories[c],
                    self.classes.labels[c],
                    c,
                )
            )
        return out

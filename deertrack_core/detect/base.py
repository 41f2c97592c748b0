"""The detector protocol and a registry by name, like the embedders.

Names (``DEERTRACK_DETECTOR`` or ``deertrack detect --detector``):

* ``onnx:PATH`` — a YOLO-family model exported to ONNX (MegaDetector v5/v6, YOLOv5/v8/v10,
  YOLOX); see :mod:`deertrack_core.detect.onnx_backend`.

MegaDetector through the ``megadetector`` PyPI package is not offered: that package builds
``ultralytics-yolov5`` from source at install time (it downloads during the build, so it cannot
install offline or from a wheel cache) and pins its own torch stack; exporting MegaDetector to
ONNX once (README, "Finding animals") gives the same boxes through ``onnx:``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectedBox:
    box: tuple[float, float, float, float]  # normalised x, y, w, h of the upright frame
    score: float
    category: str  # animal | person | vehicle
    label: str  # the detector's own class name
    class_id: int


@runtime_checkable
class Detector(Protocol):
    #: Identifies the model (file name and content hash): stored with its boxes and its passes.
    name: str
    #: (height, width) of the model's input; frames are decoded at about this size.
    input_size: tuple[int, int]

    def detect(self, frames: list[np.ndarray], *, threshold: float) -> list[list[DetectedBox]]:
        """Boxes (best first) of each RGB uint8 frame (h, w, 3) scoring at least ``threshold``."""
        ...


def model_id(kind: str, path: Path) -> str:
    """``kind:stem@sha8``: the same model file has the same id wherever it lies."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"{kind}:{path.stem[:40]}@{digest.hexdigest()[:8]}"

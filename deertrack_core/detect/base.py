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
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from deertrack_core import settings
from deertrack_core.errors import ConfigurationError, ModelUnavailableError

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


def _onnx(spec: str, class_map: str | None, device: str | None) -> Detector:
    from deertrack_core.detect.onnx_backend import OnnxDetector

    return OnnxDetector(
        Path(spec.split(":", 1)[1]).expanduser(), class_map=class_map, device=device
    )


#: Prefixes (ending in ":") whose remainder the factory parses.
REGISTRY: dict[str, Callable[[str, str | None, str | None], Detector]] = {"onnx:": _onnx}

_LOADED: dict[tuple[str, str | None, str | None], Detector] = {}
_LOCK = threading.Lock()


def check_name(name: str | None = None) -> str:
    """The detector name to use (default ``DEERTRACK_DETECTOR``), checked without loading the
    model (a job is refused before it is queued). Raises ConfigurationError or
    ModelUnavailableError."""
    name = (name or settings.detector_name()).strip()
    if not name:
        raise ConfigurationError(
            "No detector is configured.",
            "Set DEERTRACK_DETECTOR=onnx:/path/to/model.onnx or pass --detector "
            "(MegaDetector exported to ONNX: see the README, 'Finding animals').",
        )
    if not any(name.startswith(key) and len(name) > len(key) for key in REGISTRY):
        raise ConfigurationError(
            f"Unknown detector {name!r}.", f"Use one of: {', '.join(k + 'PATH' for k in REGISTRY)}."
        )
    path = Path(name.split(":", 1)[1]).expanduser()
    if not path.is_file():
        raise ModelUnavailableError(
            f"Detector model {path} does not exist.",
            "Give the path of a .onnx file (DEERTRACK_DETECTOR=onnx:PATH or --detector onnx:PATH).",
        )
    return name


def get_detector(
    name: str | None = None, *, class_map: str | None = None, device: str | None = None
) -> Detector:
    """The detector ``name`` (default ``DEERTRACK_DETECTOR``), loaded once per process."""
    name = check_name(name)
    factory = next(f for key, f in REGISTRY.items() if name.startswith(key))
    key = (name, class_map, device)
    with _LOCK:
        detector = _LOADED.get(key)
        if detector is None:
            detector = _LOADED[key] = factory(name, class_map, device)
            log.info("loaded detector %s", detector.name)
    return detector


def clear_loaded() -> None:
    with _LOCK:
        _LOADED.clear()

"""Detectors: one protocol, ONNX YOLO-family backends, runs over the photos a model has not seen,
repeat-detection elimination and MegaDetector-format export (see DESIGN.md, "Growing the house").
"""

from deertrack_core.detect.base import DetectedBox, Detector
from deertrack_core.detect.registry import get_detector

__all__ = ["DetectedBox", "Detector", "get_detector"]

"""The detector registry: a detector by name (``onnx:PATH``), loaded once per process.

Backends build on :mod:`deertrack_core.detect.base` only, so no backend imports the registry that
imports it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from deertrack_core import settings
from deertrack_core.detect.base import Detector
from deertrack_core.errors import ConfigurationError, ModelUnavailableError

log = logging.getLogger(__name__)


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

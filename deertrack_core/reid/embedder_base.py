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


def imagenet_batch(images: list[Image.Image], size: int):  # -> torch.Tensor (n, 3, size, size)
    """Crops squashed to ``size`` and normalised as ImageNet models expect."""
    import torch

    arr = np.stack([np.asarray(to_square(im, size)) for im in images])
    batch = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return batch.sub_(mean).div_(std)


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

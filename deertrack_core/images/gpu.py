"""The image pipeline on CUDA: JPEGs decoded by nvJPEG, frames and crops cut and resized on the GPU.

``torchvision.io.decode_jpeg(list, device="cuda")`` decodes a batch of JPEG byte strings on the
GPU (thousands of photos per second on a data-centre card, where 16 CPU threads manage about a
thousand). Bytes are read by CPU threads; EXIF orientation (which nvJPEG does not apply) is read
from the header and applied to the tensor; crops for the embedder are cut and squashed on the
GPU and normalised there, so they never come back to the CPU. A photo nvJPEG cannot decode (a
PNG, a progressive or broken JPEG) falls back to the CPU decoder.

Everything here also runs with ``device="cpu"`` (torchvision's CPU JPEG decoder), which is how
it is tested on machines without a GPU.
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from deertrack_core.images.decode import orientation_of
from deertrack_core.images.pipeline import PhotoJob, default_workers
from deertrack_core.reid.crops import Box, expand_box, prefetch

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def cuda_ready(device: str | None) -> bool:
    """Whether ``device`` is a CUDA device this process can use."""
    if not device or not str(device).startswith("cuda"):
        return False
    import torch

    return bool(torch.cuda.is_available())


def upright(t, orientation: int):
    """A (3, H, W) tensor turned as EXIF ``orientation`` says (PIL's exif_transpose)."""
    import torch

    if orientation == 2:
        return t.flip(-1)
    if orientation == 3:
        return t.flip(-1).flip(-2)
    if orientation == 4:
        return t.flip(-2)
    if orientation == 5:
        return t.transpose(-1, -2)
    if orientation == 6:
        return torch.rot90(t, k=-1, dims=(-2, -1))
    if orientation == 7:
        return t.transpose(-1, -2).flip(-1).flip(-2)
    if orientation == 8:
        return torch.rot90(t, k=1, dims=(-2, -1))
    return t


def _orientation(data: bytes) -> int:
    try:
        with Image.open(io.BytesIO(data)) as img:  # header only
            return orientation_of(img)
    except Exception:  # noqa: BLE001 - the decoder will say what is wrong with the file
        return 1


def _resize(t, size: tuple[int, int]):
    """uint8 (3, h, w) → uint8 (3, size) with antialiased bilinear resampling."""
    import torch

    out = torch.nn.functional.interpolate(
        t[None].float(), size=size, mode="bilinear", antialias=True, align_corners=False
    )
    return out[0].round_().clamp_(0, 255).to(torch.uint8)


@dataclass
class TensorPhoto:
    """A decoded photo on the device: ``tensor`` (3, H, W) uint8, upright; ``full`` = (w, h)."""

    path: Path
    tensor: object
    full: tuple[int, int]

    def frame(self, fit: tuple[int, int] | None = None) -> np.ndarray:
        """An (h, w, 3) uint8 array for a detector, first shrunk on the device to fit ``fit`` =
        (height, width) so that only the pixels the model looks at travel to the CPU."""
        t = self.tensor
        if fit is not None:
            h, w = t.shape[-2:]
            ratio = min(fit[0] / h, fit[1] / w)
            if ratio < 1:
                t = _resize(t, (max(1, round(h * ratio)), max(1, round(w * ratio))))
        return t.permute(1, 2, 0).contiguous().cpu().numpy()

    def crops(self, boxes: list[Box], *, margin: float, size: int):
        """(n, 3, size, size) uint8 crops (box + margin, squashed to a square) on the device."""
        import torch

        h, w = self.tensor.shape[-2:]
        out = []
        for box in boxes:
            left, top, right, bottom = expand_box(box, margin)
            x0, y0 = max(0, math.floor(left * w + 1e-6)), max(0, math.floor(top * h + 1e-6))
            x1 = min(w, max(x0 + 1, math.ceil(right * w - 1e-6)))
            y1 = min(h, max(y0 + 1, math.ceil(bottom * h - 1e-6)))
            out.append(_resize(self.tensor[:, y0:y1, x0:x1], (size, size)))
        return torch.stack(out) if out else torch.zeros((0, 3, size, size), dtype=torch.uint8)


def decode_batch(
    datas: list[bytes], paths: list[Path], device: str
) -> list[TensorPhoto | Exception]:
    """Decode JPEG byte strings on ``device`` in one call; per-photo fallbacks on failure."""
    import torch
    from torchvision.io import ImageReadMode, decode_jpeg

    inputs = [torch.frombuffer(bytearray(d), dtype=torch.uint8) for d in datas]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision 0.29 marks its decoders deprecated
        try:
            tensors: list = decode_jpeg(inputs, mode=ImageReadMode.RGB, device=device)
        except RuntimeError:
            tensors = [_one(t, d, device) for t, d in zip(inputs, datas, strict=True)]
    out: list[TensorPhoto | Exception] = []
    for t, data, path in zip(tensors, datas, paths, strict=True):
        if isinstance(t, Exception):
            out.append(t)
            continue
        t = upright(t, _orientation(data))
        out.append(TensorPhoto(path, t, (int(t.shape[-1]), int(t.shape[-2]))))
    return out


def _one(t, data: bytes, device: str):
    """One photo the batch decoder refused: nvJPEG alone, else Pillow (PNG, odd JPEGs)."""
    import torch
    from torchvision.io import ImageReadMode, decode_jpeg

    try:
        return decode_jpeg(t, mode=ImageReadMode.RGB, device=device)
    except RuntimeError:
        pass
    try:
        with Image.open(io.BytesIO(data)) as img:
            arr = np.asarray(img.convert("RGB"))  # orientation applied by the caller
        return torch.from_numpy(arr.copy()).permute(2, 0, 1).to(device)
    except Exception as exc:  # noqa: BLE001 - handed back as this photo's result
        return exc


def decoded(
    jobs: Iterable[PhotoJob], *, device: str, batch: int = 64, workers: int | None = None
) -> Iterator[tuple[PhotoJob, TensorPhoto | Exception]]:
    """Like :func:`deertrack_core.images.pipeline.decoded`, decoding on ``device`` in batches;
    CPU threads read the files ahead."""
    n = workers or default_workers()

    def read(job: PhotoJob) -> bytes:
        return Path(job.path).read_bytes()

    pending: list[tuple[PhotoJob, bytes | Exception]] = []
    for job, data in prefetch(jobs, read, workers=n, ahead=2 * batch):
        pending.append((job, data))  # type: ignore[arg-type]
        if len(pending) >= batch:
            yield from _flush(pending, device)
            pending = []
    yield from _flush(pending, device)


def _flush(pending, device: str):
    ok = [(j, d) for j, d in pending if not isinstance(d, Exception)]
    photos = iter(decode_batch([d for _, d in ok], [j.path for j, _ in ok], device) if ok else [])
    for job, data in pending:
        yield job, (data if isinstance(data, Exception) else next(photos))


def normalised(crops, embedder):
    """uint8 (n, 3, s, s) crops as the float input of ``embedder``, on its device; None when the
    embedder's preprocessing is not a plain resize + normalise (then crops go through PIL)."""
    if getattr(embedder, "name", "") != "mobilenetv2-imagenet":
        return None
    import torch

    x = crops.to(embedder.device, non_blocking=True).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return x.sub_(mean).div_(std)


def embedded_batches(
    jobs: list[PhotoJob], embedder, *, margin: float, batch_size: int, workers: int | None = None
) -> Iterator[tuple[list[int], np.ndarray, int]]:
    """``(detection ids, L2-normalised vectors, detections handled)`` with decoding, cropping
    and normalising on the embedder's CUDA device."""
    import torch

    from deertrack_core.reid.embedder_base import l2_normalise

    size = getattr(embedder, "input_size", 224)
    ids: list[int] = []
    parts: list = []
    done = 0

    def embed(crops) -> np.ndarray:
        x = normalised(crops, embedder)
        if x is None:  # an embedder with its own preprocessing: give it PIL images
            arr = crops.permute(0, 2, 3, 1).cpu().numpy()
            return embedder.embed([Image.fromarray(a) for a in arr])
        return l2_normalise(embedder.forward(x))

    for job, photo in decoded(jobs, device=embedder.device, workers=workers):
        done += len(job.boxes)
        if isinstance(photo, Exception):
            log.warning("photo %s skipped (%d detections): %s", job.path, len(job.boxes), photo)
            continue
        usable = []
        for det_id, box in job.boxes:
            try:
                expand_box(box, margin)
            except ValueError as exc:
                log.warning("detection %s skipped: %s", det_id, exc)
                continue
            usable.append((det_id, box))
        if not usable:
            continue
        ids += [d for d, _ in usable]
        parts.append(photo.crops([b for _, b in usable], margin=margin, size=size))
        while len(ids) >= batch_size:
            crops = torch.cat(parts)
            yield ids[:batch_size], embed(crops[:batch_size]), done
            ids, parts = ids[batch_size:], [crops[batch_size:]]
    if ids:
        yield ids, embed(torch.cat(parts)), done

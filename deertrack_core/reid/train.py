"""Fine-tuning the MobileNetV2 embedder on reviewed identities.

Why this shape: on two CPU cores the early blocks of the network cost most of a forward pass,
and photos cost more to decode than to embed. So every training crop is decoded once, turned
into ``views`` augmented copies once, and run through the frozen early blocks (the *stem*) once;
their outputs (float16, 160×7×7 per view at 224 px for up to four trained modules) stay in memory, and only the last
``trainable_blocks`` modules (the *head*) are trained, epoch after epoch, on those stored maps.
View 0 of every crop is the product's own input (``embedders.fit_crop`` of the crop), so the
embedding of a crop by the fine-tuned model can be read off the same stored maps — that is how
held-out crops are scored before and after training without decoding them again.

Batches hold ``identities_per_batch`` identities × ``crops_per_identity`` crops (P×K sampling);
the loss is supervised contrastive (SupCon, Khosla et al. 2020) or batch-hard triplet (Hermans et
al. 2017) on the L2-normalised pooled features, which are the embedding itself (no projection
head: the stored model must embed exactly what it was trained on). Batch-norm statistics stay
frozen: batches are small and the stored ImageNet statistics are better estimates.

CUDA is used when ``DEERTRACK_DEVICE`` allows (autocast float16 with gradient scaling); that
path has not been run on a GPU in development, only on CPU.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from deertrack_core.errors import DeertrackError, ValidationError
from deertrack_core.progress import ProgressCallback
from deertrack_core.reid.crops import prefetch
from deertrack_core.reid.embedder_base import IMAGENET_MEAN, IMAGENET_STD, fit_crop, l2_normalise

log = logging.getLogger(__name__)

LOSSES = ("supcon", "triplet")
#: Modules of ``MobileNetV2Features.features``: the stem is everything before the last N.
N_MODULES = 19
MAX_FEATURE_BYTES = 6 * 2**30  # stored stem outputs; beyond this, train on fewer crops or views


class TrainingDataError(DeertrackError):
    """Too few labelled crops to train or evaluate on."""


@dataclass(frozen=True)
class TrainSettings:
    # Defaults measured on nyala-dev held-out individuals (bench/train.py --ablation): the last
    # two modules gain as much as four in about half the training time and three times what the
    # last one alone gains; two views as much as four (one: a little less); SupCon far more than
    # batch-hard triplet; mirroring made no difference, so it stays off (flanks are not
    # symmetric, and the left and right flank are different evidence).
    epochs: int = 12
    trainable_blocks: int = 2  # last modules of MobileNetV2 trained (1..5)
    loss: str = "supcon"
    temperature: float = 0.1  # supcon
    triplet_margin: float = 0.2  # triplet, on cosine distance
    learning_rate: float = 1e-4
    weight_decay: float = 1e-4
    identities_per_batch: int = 8
    crops_per_identity: int = 4
    views: int = 2  # copies per crop: view 0 as the product sees it, the others augmented
    flip: bool = False
    input_size: int = 224
    seed: int = 0
    max_crops: int = 20000

    def validate(self) -> TrainSettings:
        problems: dict[str, str] = {}
        checks = {
            "epochs": 1 <= self.epochs <= 500,
            "trainable_blocks": 1 <= self.trainable_blocks <= 5,
            "loss": self.loss in LOSSES,
            "temperature": 0.01 <= self.temperature <= 1.0,
            "triplet_margin": 0.0 < self.triplet_margin <= 1.0,
            "learning_rate": 0.0 < self.learning_rate <= 0.1,
            "weight_decay": 0.0 <= self.weight_decay <= 1.0,
            "identities_per_batch": 2 <= self.identities_per_batch <= 256,
            "crops_per_identity": 2 <= self.crops_per_identity <= 64,
            "views": 1 <= self.views <= 16,
            "input_size": 64 <= self.input_size <= 512 and self.input_size % 32 == 0,
            "max_crops": 4 <= self.max_crops <= 200_000,
        }
        for name, ok in checks.items():
            if not ok:
                problems[name] = f"{getattr(self, name)!r} is out of range"
        if "loss" in problems:
            problems["loss"] = f"use one of {', '.join(LOSSES)}"
        if problems:
            raise ValidationError(problems)
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sample:
    """One labelled crop: ``load()`` gives the animal crop (box + margin, not yet square)."""

    label: str  # the identity
    sighting: str  # crops of one sighting (burst, encounter) are never each other's match
    load: Callable[[], Image.Image]
    ref: str  # detection id or file, for the record
    when: Any = None  # capture time when known (the later-in-time split)
    detection_id: int | None = None  # when the crop is a stored detection


@dataclass(frozen=True)
class TrainOutcome:
    state_dict: dict[str, Any]  # the whole MobileNetV2Features, ready for load_state_dict
    epoch_losses: list[float]
    steps: int
    crops: int
    identities: int
    precompute_s: float
    train_s: float
    device: str


def augment(image: Image.Image, size: int, rng: np.random.Generator, flip: bool) -> Image.Image:
    """A random view: resized crop (60-100% of the area), flip, colour jitter, sometimes grey
    (night photos are grey), then the product's square fit."""
    w, h = image.size
    area = w * h * rng.uniform(0.6, 1.0)
    ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
    cw = min(w, max(8, round(math.sqrt(area * ratio))))
    ch = min(h, max(8, round(math.sqrt(area / ratio))))
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    out = image.crop((x0, y0, x0 + cw, y0 + ch))
    if flip and rng.random() < 0.5:
        out = ImageOps.mirror(out)
    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        out = enhancer(out).enhance(float(rng.uniform(0.75, 1.25)))
    if rng.random() < 0.2:
        out = ImageOps.grayscale(out).convert("RGB")
    return fit_crop(out, size)


def to_batch(images: Sequence[Image.Image]):
    """Square RGB images → the normalised float tensor MobileNetV2 takes (as the embedder)."""
    import torch

    arr = np.stack([np.asarray(im, dtype=np.uint8) for im in images])
    batch = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return batch.sub_(mean).div_(std)


def supcon_loss(z, labels, temperature: float):
    """Supervised contrastive loss of L2-normalised rows ``z`` (every other row of the same
    label is a positive); anchors without a positive are skipped."""
    import torch

    n = z.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=z.device)
    logits = (z @ z.T / temperature).masked_fill(eye, -1e9)
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    counts = pos.sum(dim=1)
    has = counts > 0
    per_anchor = -(log_prob * pos).sum(dim=1)[has] / counts[has]
    return per_anchor.mean()


def batch_hard_triplet_loss(z, labels, margin: float):
    """Batch-hard triplet loss on cosine distance: each anchor's farthest positive against its
    nearest negative."""
    import torch

    dist = 1.0 - z @ z.T
    n = z.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=z.device)
    same = labels[:, None] == labels[None, :]
    pos = same & ~eye
    hardest_pos = dist.masked_fill(~pos, -1.0).max(dim=1).values
    hardest_neg = dist.masked_fill(same, 4.0).min(dim=1).values
    valid = pos.any(dim=1) & (~same).any(dim=1)
    return torch.relu(hardest_pos - hardest_neg + margin)[valid].mean()


def pk_batches(
    labels: np.ndarray, p: int, k: int, steps: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """``steps`` batches of row indices: ``p`` identities (with ≥ 2 crops) × ``k`` crops each
    (drawn without replacement while an identity has enough)."""
    by_label = {lab: np.flatnonzero(labels == lab) for lab in np.unique(labels)}
    eligible = [lab for lab, rows in by_label.items() if len(rows) >= 2]
    out = []
    for _ in range(steps):
        chosen = rng.choice(len(eligible), size=min(p, len(eligible)), replace=False)
        rows = [
            rng.choice(by_label[eligible[c]], size=k, replace=len(by_label[eligible[c]]) < k)
            for c in chosen
        ]
        out.append(np.concatenate(rows))
    return out


class Trainer:
    """The base MobileNetV2 split into a frozen stem and a trainable head (see the module doc)."""

    def __init__(self, settings: TrainSettings, device: str = "cpu", base=None) -> None:
        from deertrack_core.reid.mobilenet import load_mobilenetv2

        self.settings = settings.validate()
        self.device = device
        self.model = copy.deepcopy(base) if base is not None else load_mobilenetv2()
        self.model = self.model.to(device).eval()
        cut = N_MODULES - settings.trainable_blocks
        self.stem = self.model.features[:cut]
        self.head = self.model.features[cut:]
        self.base_head = copy.deepcopy(self.head).eval()
        for param in self.stem.parameters():
            param.requires_grad_(False)

    def _autocast(self):
        import contextlib

        import torch

        if self.device.startswith("cuda"):
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def stem_features(
        self,
        samples: Sequence[Sample],
        *,
        views: int = 1,
        progress: ProgressCallback | None = None,
        batch_size: int = 32,
    ):
        """``(n, views, c, h, w)`` float16 stem outputs (view 0 = the product's input), and the
        indices of the samples whose crop could be loaded (others are logged and left out)."""
        import torch

        s = self.settings
        size = s.input_size
        rng = np.random.default_rng(s.seed + 7919)
        probe = self.stem(torch.zeros(1, 3, size, size, device=self.device))
        shape = tuple(probe.shape[1:])
        need = len(samples) * views * int(np.prod(shape)) * 2
        if need > MAX_FEATURE_BYTES:
            raise TrainingDataError(
                f"{len(samples)} crops × {views} views need {need / 2**30:.1f} GiB of features.",
                "Train on fewer crops (max_crops) or fewer views.",
            )
        out = torch.empty((len(samples), views, *shape), dtype=torch.float16)
        kept: list[int] = []
        pending: list[tuple[int, list[Image.Image]]] = []

        def flush() -> None:
            images = [im for _, ims in pending for im in ims]
            with torch.inference_mode(), self._autocast():
                feats = self.stem(to_batch(images).to(self.device))
            feats = feats.float().cpu().to(torch.float16).view(len(pending), views, *shape)
            for j, (i, _) in enumerate(pending):
                out[len(kept)] = feats[j]
                kept.append(i)
            pending.clear()

        def load(i: int):
            return samples[i].load()

        for done, (i, crop) in enumerate(prefetch(range(len(samples)), load, ahead=64), 1):
            if isinstance(crop, Exception):
                log.warning("training crop %s skipped: %s", samples[i].ref, crop)
                continue
            ims = [fit_crop(crop, size)]
            ims += [augment(crop, size, rng, s.flip) for _ in range(views - 1)]
            pending.append((i, ims))
            if len(pending) * views >= batch_size:
                flush()
            if progress and done % 16 == 0:
                progress(done, len(samples), f"preparing crops {done}/{len(samples)}")
        if pending:
            flush()
        return out[: len(kept)], np.asarray(kept, dtype=np.int64)

    def embed(self, features, *, tuned: bool = True, batch_size: int = 256) -> np.ndarray:
        """Unit embeddings of stored stem maps ``(n, c, h, w)`` by the tuned or the base head."""
        import torch

        head = self.head if tuned else self.base_head
        head.eval()
        parts = []
        with torch.inference_mode(), self._autocast():
            for i in range(0, len(features), batch_size):
                x = features[i : i + batch_size].to(self.device).float()
                parts.append(head(x).mean(dim=(2, 3)).float().cpu().numpy())
        if not parts:
            return np.zeros((0, 1280), dtype=np.float32)
        return l2_normalise(np.concatenate(parts))

    def fit(
        self, features, labels: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> list[float]:
        """Train the head on stored views; returns the mean loss of each epoch."""
        import torch

        s = self.settings
        torch.manual_seed(s.seed)
        rng = np.random.default_rng(s.seed)
        _, codes = np.unique(np.asarray(labels), return_inverse=True)
        counts = np.bincount(codes)
        if (counts >= 2).sum() < 2:
            raise TrainingDataError(
                f"Training needs at least two identities with two crops or more; "
                f"{int((counts >= 2).sum())} have.",
                "Review more detections (or add photos per identity folder), then train again.",
            )
        per_batch = s.identities_per_batch * s.crops_per_identity
        steps_per_epoch = max(1, math.ceil(len(codes) / per_batch))
        total = steps_per_epoch * s.epochs
        params = [p for p in self.head.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW(params, lr=s.learning_rate, weight_decay=s.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=total)
        cuda = self.device.startswith("cuda")
        scaler = torch.amp.GradScaler("cuda") if cuda else None
        labels_t = torch.as_tensor(codes, device=self.device)
        losses: list[float] = []
        started = time.perf_counter()
        step = 0
        for epoch in range(s.epochs):
            self._train_mode()
            epoch_loss = []
            for rows in pk_batches(
                codes, s.identities_per_batch, s.crops_per_identity, steps_per_epoch, rng
            ):
                view = rng.integers(0, features.shape[1], size=len(rows))
                x = features[torch.as_tensor(rows), torch.as_tensor(view)]
                x = x.to(self.device).float()
                with self._autocast():
                    z = torch.nn.functional.normalize(self.head(x).mean(dim=(2, 3)).float(), dim=1)
                    loss = self._loss(z, labels_t[torch.as_tensor(rows, device=self.device)])
                optimiser.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimiser)
                    scaler.update()
                else:
                    loss.backward()
                    optimiser.step()
                schedule.step()
                epoch_loss.append(float(loss.detach()))
                step += 1
                if progress:
                    per_step = (time.perf_counter() - started) / step
                    left = per_step * (total - step)
                    progress(step, total, f"epoch {epoch + 1}/{s.epochs}, loss "
                             f"{np.mean(epoch_loss):.3f}, ~{left:.0f} s left")  # fmt: skip
            losses.append(float(np.mean(epoch_loss)))
            log.info("epoch %d/%d: loss %.4f", epoch + 1, s.epochs, losses[-1])
        self.head.eval()
        return losses

    def _train_mode(self) -> None:
        from torch import nn

        self.head.train()
        for module in self.head.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()  # frozen statistics (see the module doc)

    def _loss(self, z, labels):
        s = self.settings
        if s.loss == "supcon":
            return supcon_loss(z, labels, s.temperature)
        return batch_hard_triplet_loss(z, labels, s.triplet_margin)

    def state_dict(self) -> dict[str, Any]:
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}

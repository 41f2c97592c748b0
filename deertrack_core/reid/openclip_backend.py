"""open_clip image towers as embedders: ``open_clip:<model>[:<pretrained>]``.

``<pretrained>`` is an open_clip tag (``laion2b_s34b_b79k``), a local checkpoint file (a state
dict saved with ``torch.save``), or ``random`` (untrained weights: tests and smoke runs only).
``<model>`` may carry open_clip's own schemas: ``hf-hub:org/repo`` (config and weights from the
Hugging Face Hub, e.g. BioCLIP ``hf-hub:imageomics/bioclip``) or ``local-dir:/path``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from deertrack_core.errors import ConfigurationError, ModelUnavailableError
from deertrack_core.reid.embedder_base import TorchEmbedder

log = logging.getLogger(__name__)

PREFIX = "open_clip:"
RANDOM = "random"
_SCHEMAS = ("hf-hub:", "local-dir:")
_HOW_TO = (
    "Download the checkpoint on a machine with internet access (for a tag: the file "
    "open_clip_pytorch_model.bin of its Hugging Face repository; for a model of your own: "
    "torch.save(model.state_dict(), 'ckpt.pt')), copy it here and set "
    "DEERTRACK_EMBEDDER=open_clip:<model>:/path/to/ckpt.pt — or fill the Hugging Face cache "
    "(HF_HOME) and unset HF_HUB_OFFLINE."
)


@dataclass(frozen=True)
class OpenClipSpec:
    model: str
    pretrained: str | None  # tag, checkpoint path, "random", or None for hf-hub/local-dir

    @property
    def is_checkpoint(self) -> bool:
        p = self.pretrained or ""
        return p not in ("", RANDOM) and (
            "/" in p or "\\" in p or p.endswith((".pt", ".pth", ".bin", ".safetensors"))
        )


def parse_spec(spec: str) -> OpenClipSpec:
    """Split ``open_clip:<model>[:<pretrained>]`` (schemas inside ``<model>`` are kept)."""
    rest = spec[len(PREFIX) :] if spec.startswith(PREFIX) else spec
    if not rest:
        raise ConfigurationError(
            f"Embedder {spec!r} names no model.", "Use open_clip:<model>[:<pretrained>]."
        )
    if rest.startswith("local-dir:"):
        return OpenClipSpec(rest, None)
    if rest.startswith("hf-hub:"):
        repo, _, tag = rest[len("hf-hub:") :].partition(":")
        if tag:
            raise ConfigurationError(
                f"Embedder {spec!r}: an hf-hub model brings its own weights; no tag is accepted.",
                f"Use open_clip:hf-hub:{repo}.",
            )
        return OpenClipSpec(f"hf-hub:{repo}", None)
    model, _, pretrained = rest.partition(":")
    return OpenClipSpec(model, pretrained or None)


def _check_spec(spec: OpenClipSpec, name: str):
    """Fail fast with a useful message before open_clip tries (and maybe stalls on) a download."""
    import open_clip

    if spec.model.startswith(_SCHEMAS):
        return
    models = open_clip.list_models()
    if spec.model not in models:
        raise ConfigurationError(
            f"Embedder {name!r}: open_clip has no model {spec.model!r}.",
            f"Known models include: {', '.join(models[:12])}, … (open_clip.list_models()).",
        )
    tags = open_clip.list_pretrained_tags_by_model(spec.model)
    if spec.pretrained is None:
        raise ConfigurationError(
            f"Embedder {name!r} names no weights for {spec.model}.",
            f"Append a pretrained tag ({', '.join(tags[:6]) or 'none known'}), a checkpoint path, "
            f"or ':{RANDOM}' for untrained weights (tests only).",
        )
    if spec.is_checkpoint:
        if not Path(spec.pretrained).expanduser().is_file():
            raise ModelUnavailableError(
                f"Embedder {name!r}: the checkpoint file {spec.pretrained} does not exist.",
                _HOW_TO,
            )
    elif spec.pretrained != RANDOM and spec.pretrained not in tags:
        raise ConfigurationError(
            f"Embedder {name!r}: {spec.pretrained!r} is not a pretrained tag of {spec.model}.",
            f"Known tags: {', '.join(tags) or 'none'}; or give a checkpoint file path.",
        )


class OpenClipEmbedder(TorchEmbedder):
    """The image tower of an open_clip model; embeddings are ``encode_image`` outputs."""

    def __init__(self, name: str, model, device: str) -> None:
        super().__init__(model, device)
        self.name = name
        cfg = getattr(model.visual, "preprocess_cfg", None) or {}
        size = cfg.get("size") or getattr(model.visual, "image_size", 224)
        self.input_size = int(size[0] if isinstance(size, (tuple, list)) else size)
        self.mean = tuple(cfg.get("mean") or (0.48145466, 0.4578275, 0.40821073))
        self.std = tuple(cfg.get("std") or (0.26862954, 0.26130258, 0.27577711))
        self.dim = int(self._probe_dim())

    @classmethod
    def from_spec(cls, name: str, device: str) -> OpenClipEmbedder:
        import open_clip

        spec = parse_spec(name)
        _check_spec(spec, name)
        pretrained = None if spec.pretrained == RANDOM else spec.pretrained
        if spec.is_checkpoint:
            pretrained = str(Path(spec.pretrained).expanduser())
        try:
            model, _, _ = open_clip.create_model_and_transforms(
                spec.model, pretrained=pretrained, device="cpu"
            )
        except Exception as exc:  # noqa: BLE001 - open_clip raises RuntimeError/OSError/HF errors
            raise ModelUnavailableError(
                f"Embedder {name!r}: the weights cannot be loaded ({str(exc)[:300]}).", _HOW_TO
            ) from exc
        return cls(name, model, device)

    def _probe_dim(self) -> int:
        out = getattr(self.model.visual, "output_dim", None)
        if out:
            return int(out)
        probe = Image.new("RGB", (self.input_size, self.input_size))
        return self.forward(self.preprocess([probe])).shape[1]

    def _features(self, batch):
        return self.model.encode_image(batch)

    def preprocess(self, images: list[Image.Image]):
        import torch

        s = self.input_size
        arr = np.stack(
            [
                np.asarray(
                    (im if im.mode == "RGB" else im.convert("RGB")).resize(
                        (s, s), Image.Resampling.BICUBIC
                    )
                )
                for im in images
            ]
        )
        batch = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(255.0)
        mean = torch.tensor(self.mean).view(1, 3, 1, 1)
        std = torch.tensor(self.std).view(1, 3, 1, 1)
        return batch.sub_(mean).div_(std)

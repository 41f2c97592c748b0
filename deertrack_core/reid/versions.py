"""Model versions: fine-tuned embedders stored as checkpoints with a database record.

A version ``<name>`` is the embedder ``version:<name>`` (``DEERTRACK_EMBEDDER``, ``--model``,
``reid_settings.model``); its embeddings are cached under that name beside the base model's, so
promoting and rolling back never throw vectors away. The checkpoint is ``<name>.pt`` inside
``DEERTRACK_MODELS_DIR``: names are checked against a strict pattern and the resolved path must
lie inside that folder, so neither a record nor a request can point the loader elsewhere. The
file holds tensors and plain metadata only (``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from deertrack_core import settings
from deertrack_core.errors import ModelUnavailableError, NotFoundError, ValidationError
from deertrack_core.models import ModelVersion
from deertrack_core.reid.embedder_base import TorchEmbedder, imagenet_batch

log = logging.getLogger(__name__)

PREFIX = "version:"
ARCHITECTURE = "mobilenetv2"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def check_name(name: str) -> str:
    """``name`` if it is a valid version name (lower-case letters, digits, ``.-_``), else an
    error; ``version:<name>`` is accepted too."""
    name = name[len(PREFIX) :] if name.startswith(PREFIX) else name
    if not _NAME.match(name) or ".." in name:
        raise ValidationError(
            {"version": f"{name!r} is not a version name (letters a-z, digits, '.', '-', '_')"}
        )
    return name


def new_name(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"mnv2-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def checkpoint_path(name: str, folder: Path | None = None) -> Path:
    """Where the checkpoint of ``name`` lives: always inside the models folder."""
    root = (folder or settings.models_dir()).resolve()
    path = (root / f"{check_name(name)}.pt").resolve()
    if path.parent != root:
        raise ValidationError({"version": f"{name!r} does not name a file in {root}"})
    return path


def save_checkpoint(name: str, state_dict: dict[str, Any], meta: dict[str, Any]) -> Path:
    """Write the checkpoint atomically (a reader never sees half a file)."""
    import torch

    path = checkpoint_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pt.tmp")
    torch.save({"architecture": ARCHITECTURE, "meta": meta, "state_dict": state_dict}, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(name: str) -> dict[str, Any]:
    import torch

    path = checkpoint_path(name)
    if not path.is_file():
        raise ModelUnavailableError(
            f"Model version {name!r} has no checkpoint at {path}.",
            "Check DEERTRACK_MODELS_DIR (it must be the folder deertrack train wrote to), or "
            "train a new version with deertrack train.",
        )
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file: say which
        raise ModelUnavailableError(
            f"The checkpoint {path} cannot be read ({str(exc)[:200]}).",
            "Train the version again (deertrack train); the file is damaged or not ours.",
        ) from exc
    if not isinstance(blob, dict) or blob.get("architecture") != ARCHITECTURE:
        raise ModelUnavailableError(
            f"The checkpoint {path} is not a DeerTrack {ARCHITECTURE} version.",
            "Train the version again with deertrack train.",
        )
    return blob


class VersionEmbedder(TorchEmbedder):
    """MobileNetV2 with a stored version's weights; preprocessing as the base model's."""

    dim = 1280

    def preprocess(self, images: list[Image.Image]):
        return imagenet_batch(images, self.input_size)

    def __init__(self, name: str, device: str) -> None:
        from deertrack_core.reid.mobilenet import MobileNetV2Features

        blob = load_checkpoint(name)
        model = MobileNetV2Features()
        try:
            model.load_state_dict(blob["state_dict"], strict=True)
        except (RuntimeError, KeyError, TypeError) as exc:
            raise ModelUnavailableError(
                f"The weights of version {name!r} do not fit MobileNetV2 ({str(exc)[:200]}).",
                "Train the version again with deertrack train.",
            ) from exc
        super().__init__(model.eval(), device)
        self.name = PREFIX + check_name(name)
        self.input_size = int(blob.get("meta", {}).get("input_size", 224))


def embedder_factory(spec: str, device: str) -> VersionEmbedder:
    """The registry's factory for ``version:<name>``."""
    return VersionEmbedder(spec[len(PREFIX) :], device)


# --- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    name: str
    model: str  # the embedder name: version:<name>
    base_model: str
    created_at: dt.datetime
    created_by: str
    identities: int
    crops: int
    training_set: dict[str, Any]
    settings: dict[str, Any]
    metrics: dict[str, Any]
    active: bool

    @classmethod
    def of(cls, row: ModelVersion, active_model: str | None = None) -> VersionInfo:
        model = PREFIX + row.name
        return cls(
            name=row.name, model=model, base_model=row.base_model, created_at=row.created_at,
            created_by=row.created_by, identities=int(row.training_set.get("identities", 0)),
            crops=int(row.training_set.get("crops", 0)), training_set=row.training_set,
            settings=row.settings, metrics=row.metrics, active=model == active_model,
        )  # fmt: skip


def record_version(
    session: Session,
    name: str,
    *,
    base_model: str,
    training_set: dict[str, Any],
    train_settings: dict[str, Any],
    metrics: dict[str, Any],
    user: str,
) -> ModelVersion:
    """Add the record of a version whose checkpoint is saved (the caller commits)."""
    name = check_name(name)
    row = ModelVersion(
        name=name, base_model=base_model, file=checkpoint_path(name).name,
        training_set=training_set, settings=train_settings, metrics=metrics, created_by=user,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def get_version(session: Session, name: str) -> ModelVersion:
    """The version called ``name`` (``latest``: the newest one)."""
    if name.strip().lower() == "latest":
        row = session.scalars(
            select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
        ).first()
        if row is None:
            raise NotFoundError("No model version exists yet.", "Train one: deertrack train.")
        return row
    name = check_name(name)
    row = session.scalars(select(ModelVersion).where(ModelVersion.name == name)).first()
    if row is None:
        raise NotFoundError(
            f"There is no model version {name!r}.", "List them with: deertrack models list."
        )
    return row


def list_versions(session: Session) -> list[VersionInfo]:
    """Every version, newest first, marking the one the active setting uses."""
    from deertrack_core.reid.active import active_threshold

    active = active_threshold(session)[0]
    rows = session.scalars(
        select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
    )
    return [VersionInfo.of(r, active) for r in rows]


def trained_detections(session: Session, model: str) -> set[int]:
    """Detections the version ``model`` (``version:<name>``) was trained on; empty for any
    other model, or a version trained on a folder."""
    if not model.startswith(PREFIX):
        return set()
    row = session.scalars(
        select(ModelVersion).where(ModelVersion.name == model[len(PREFIX) :])
    ).first()
    if row is None:
        return set()
    return {int(i) for i in row.training_set.get("trained_detections", [])}

"""Train a model version: gather labelled crops, split, fine-tune, score before/after, store.

``train_version`` is what ``deertrack train`` and the train job run. The version stored is the
model evaluated: it never sees the held-out individuals nor the later sightings, so its
before/after figures are honest (``holdout=0, later=0`` trains on everything and stores no
held-out figures).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deertrack_core import db
from deertrack_core.auth import ADMIN, Actor, require_url
from deertrack_core.progress import ProgressCallback, scaled
from deertrack_core.reid import trainsets, versions
from deertrack_core.reid.embedders import DEFAULT, configure_threads, resolve_device
from deertrack_core.reid.evaluate import ReidMetrics, reid_metrics
from deertrack_core.reid.train import Sample, Trainer, TrainingDataError, TrainSettings

log = logging.getLogger(__name__)

METRIC_KEYS = ("rank1", "rank5", "mean_ap", "roc_auc")


@dataclass(frozen=True)
class TrainedVersion:
    name: str
    model: str  # version:<name>
    training_set: dict[str, Any]
    settings: dict[str, Any]
    metrics: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _metrics_dict(m: ReidMetrics) -> dict[str, Any]:
    d = asdict(m)
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in d.items()}


def _compare(before: ReidMetrics, after: ReidMetrics, **extra: Any) -> dict[str, Any]:
    return {"before": _metrics_dict(before), "after": _metrics_dict(after), **extra}


def _gather(url, folder, detector_path, size) -> tuple[list[Sample], dict[str, str], dict]:
    if folder is not None:
        samples, note = trainsets.folder_samples(
            Path(folder), detector_path=detector_path, input_size=size
        )
        return samples, {}, {"source": "folder", "folder": str(folder), "crops_from": note}
    with db.session_scope(url) as session:
        samples, names = trainsets.database_samples(session, input_size=size)
    return samples, names, {"source": "database", "crops_from": "reviewed detections"}


def train_version(
    url: str | None = None,
    *,
    user: str = "",
    actor: Actor | None = None,
    folder: Path | None = None,
    detector_path: Path | None = None,
    train_settings: TrainSettings | None = None,
    holdout: float = 0.25,
    later: float = 0.2,
    device: str | None = None,
    progress: ProgressCallback | None = None,
) -> TrainedVersion:
    """Fine-tune MobileNetV2 on reviewed detections (or ``folder``), evaluate it against the
    base model on held-out identities and later sightings, store it as a new version.
    ``actor`` must be an admin."""
    actor = require_url(url, actor, ADMIN, "train a model", name=user)
    user = actor.name
    s = (train_settings or TrainSettings()).validate()
    if not (0.0 <= holdout < 1.0 and 0.0 <= later < 1.0):
        from deertrack_core.errors import ValidationError

        raise ValidationError({"holdout/later": "fractions must be at least 0 and below 1"})
    dev = resolve_device(device)
    configure_threads()
    samples, names, source = _gather(url, folder, detector_path, s.input_size)
    found = len(samples)
    if found > s.max_crops:  # bound the work: an even random subset, recorded as such
        keep = np.sort(np.random.default_rng(s.seed).choice(found, s.max_crops, replace=False))
        samples = [samples[i] for i in keep]
    if len(samples) < 4:
        raise TrainingDataError(
            f"Only {len(samples)} labelled crops were found ({source['crops_from']}).",
            "Confirm or correct more detections on the Review page (or give a folder with "
            "photos of several identities), then train again.",
        )
    split = trainsets.split_samples(samples, holdout=holdout, later=later, seed=s.seed)
    train = [samples[i] for i in split.train]
    trainer = Trainer(s, dev)
    t0 = time.perf_counter()
    feats, kept = trainer.stem_features(train, views=s.views, progress=scaled(progress, 0, 350))
    train = [train[i] for i in kept]
    labels = [x.label for x in train]
    evaluated = np.r_[split.heldout_identities, split.later_queries].astype(np.int64)
    eval_samples = [samples[i] for i in evaluated]
    eval_feats, eval_kept = trainer.stem_features(
        eval_samples, views=1, progress=scaled(progress, 350, 450)
    )
    eval_samples = [eval_samples[i] for i in eval_kept]
    eval_feats = eval_feats[:, 0]
    precompute_s = time.perf_counter() - t0

    def score(tuned: bool) -> dict[str, ReidMetrics]:
        out: dict[str, ReidMetrics] = {}
        held = np.asarray([x.label in split.heldout_labels for x in eval_samples], dtype=bool)
        if held.sum() >= 2:
            e = trainer.embed(eval_feats[_rows(held)], tuned=tuned)
            chosen = [x for x, h in zip(eval_samples, held, strict=True) if h]
            out["identity_split"] = reid_metrics(
                e, [x.label for x in chosen], [x.sighting for x in chosen]
            )
        if (~held).any():
            q = trainer.embed(eval_feats[_rows(~held)], tuned=tuned)
            g = trainer.embed(feats[:, 0], tuned=tuned)
            chosen = [x for x, h in zip(eval_samples, held, strict=True) if not h]
            out["time_split"] = trainsets.query_gallery_metrics(
                q, [x.label for x in chosen], g, labels
            )
        return out

    before = score(tuned=False)
    t1 = time.perf_counter()
    losses = trainer.fit(feats, labels, progress=scaled(progress, 450, 980))
    train_s = time.perf_counter() - t1
    after = score(tuned=True)
    crops = Counter(labels)
    metrics: dict[str, Any] = {
        key: _compare(before[key], after[key]) for key in before if key in after
    }
    metrics.update(
        precompute_seconds=round(precompute_s, 1), train_seconds=round(train_s, 1),
        epoch_losses=[round(x, 4) for x in losses], device=dev, split_note=split.note,
    )  # fmt: skip
    training_set = {
        **source,
        "identities": len(crops),
        "crops": len(train),
        "individuals": [
            {"label": lab, "name": names.get(lab, lab), "crops": n}
            for lab, n in sorted(crops.items())
        ],
        "heldout_individuals": [
            {"label": lab, "name": names.get(lab, lab)} for lab in split.heldout_labels
        ],
        "later_crops": int(len(split.later_queries)),
        "found_crops": found,
        # which detections the model has seen: threshold evidence for it must leave them out
        "trained_detections": sorted(x.detection_id for x in train if x.detection_id is not None),
    }
    name = versions.new_name()
    meta = {"base_model": DEFAULT, "input_size": s.input_size, "settings": s.as_dict()}
    path = versions.save_checkpoint(name, trainer.state_dict(), meta)
    try:
        with db.session_scope(url) as session:
            versions.record_version(
                session, name, base_model=DEFAULT, training_set=training_set,
                train_settings=s.as_dict(), metrics=metrics, user=user,
            )  # fmt: skip
    except Exception:
        path.unlink(missing_ok=True)  # no orphan file for a version that was never recorded
        raise
    if progress:
        progress(1000, 1000, f"stored {name}")
    log.info("stored model version %s (%d crops, %d identities)", name, len(train), len(crops))
    return TrainedVersion(name, versions.PREFIX + name, training_set, s.as_dict(), metrics)


def _rows(mask: np.ndarray):
    import torch

    return torch.as_tensor(np.flatnonzero(mask))

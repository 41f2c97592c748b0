"""Training sets for fine-tuning, and the splits a version is evaluated on.

Two sources of labelled crops:

* the database: detections a person confirmed or corrected (the deer not merged away), cropped
  the way the embedding cache crops them; a sighting is the burst track (else the burst, else
  the photo), so frames of one burst never count as each other's match;
* a folder of identity sub-folders laid out like ``deertrack evaluate``'s (``<n>_…`` files of
  one folder are one sighting), cropped with the benchmark detector when one is given.

Two held-out evaluations, neither of which the model trains on:

* by identity: a share of the individuals is left out entirely (``split_by_identity``): does the
  model tell apart animals it has never seen?
* later in time: the latest sightings of the training individuals (``split_by_time``): does it
  recognise known animals in future photos? Queries are the later crops, the gallery the earlier
  ones (``query_gallery_metrics``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from deertrack_core import paths
from deertrack_core.models import Deer, Detection, Image, MatchStatus
from deertrack_core.reid.cache import MARGIN
from deertrack_core.reid.crops import crop_box, full_frame
from deertrack_core.reid.evaluate import ReidMetrics, list_photos
from deertrack_core.reid.train import Sample

log = logging.getLogger(__name__)

REVIEWED = (MatchStatus.CONFIRMED.value, MatchStatus.CORRECTED.value)


def database_samples(session: Session, *, input_size: int = 224) -> tuple[list[Sample], dict]:
    """Crops of reviewed detections, and ``{label: deer name}`` of their deer."""
    rows = session.execute(
        select(
            Detection.id,
            Detection.deer_id,
            Detection.x,
            Detection.y,
            Detection.w,
            Detection.h,
            Detection.track_id,
            Image.id,
            Image.sequence_id,
            Image.captured_at,
            Image.path,
            Deer.name,
        )  # fmt: skip
        .join(Image, Image.id == Detection.image_id)
        .join(Deer, Deer.id == Detection.deer_id)
        .where(
            Detection.match_status.in_(REVIEWED),
            Detection.category == "animal",
            Deer.merged_into.is_(None),
        )
        .order_by(Detection.id)
    ).all()
    samples, names = [], {}
    for det_id, deer_id, x, y, w, h, track, image_id, seq, when, stored, name in rows:
        if track is not None:
            sighting = f"t{track}"
        elif seq is not None:
            sighting = f"s{seq}"
        else:
            sighting = f"i{image_id}"
        load = partial(crop_box, paths.resolve(stored), (x, y, w, h), MARGIN, input_size)
        samples.append(
            Sample(str(deer_id), sighting, load, f"detection {det_id}", when, int(det_id))
        )
        names[str(deer_id)] = name
    return samples, names


def _detector_crop(path: Path, detector, size: int):
    from deertrack_core.detect.run import best_animal_box

    box = best_animal_box(detector, path)
    if box is None:
        return full_frame(path, size)
    return crop_box(path, box, MARGIN, size)


def folder_samples(
    folder: Path, *, detector_path: Path | None = None, input_size: int = 224
) -> tuple[list[Sample], str]:
    """Photos of ``folder/<identity>/``, cropped to the animal when ``detector_path`` is given;
    also says how they were cropped."""
    photos = list_photos(Path(folder))
    if detector_path is not None:
        from deertrack_core.detect import get_detector

        spec = str(detector_path)
        detector = get_detector(spec if spec.startswith("onnx:") else f"onnx:{spec}")
        note = f"animal crops from {Path(detector_path).name}"
        load = partial(_detector_crop, detector=detector, size=input_size)
    else:
        note = "whole photos (no detector given)"
        load = partial(full_frame, min_side=input_size)
    samples = [Sample(p.identity, p.sighting, partial(load, p.path), str(p.path)) for p in photos]
    return samples, note


@dataclass(frozen=True)
class Split:
    """Indices into a sample list."""

    train: np.ndarray
    heldout_identities: np.ndarray  # every crop of the held-out individuals
    later_queries: np.ndarray  # later sightings of training individuals (not trained on)
    earlier_gallery: np.ndarray  # their earlier crops: the gallery the later ones search
    heldout_labels: tuple[str, ...]
    note: str


def _sightings_per_label(samples: Sequence[Sample]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for s in samples:
        out.setdefault(s.label, set()).add(s.sighting)
    return out


def split_samples(
    samples: Sequence[Sample], *, holdout: float = 0.25, later: float = 0.2, seed: int = 0
) -> Split:
    """Hold out ``holdout`` of the identities that have two sightings or more (at least two
    identities, else none), and the latest ``later`` of the remaining sightings (by time, when
    the samples have times)."""
    rng = np.random.default_rng(seed)
    per_label = _sightings_per_label(samples)
    eligible = sorted(lab for lab, sights in per_label.items() if len(sights) >= 2)
    n_out = int(round(holdout * len(eligible))) if holdout > 0 else 0
    notes = []
    if 0 < n_out < 2 or len(per_label) - n_out < 2:
        notes.append(f"too few identities ({len(eligible)} with two sightings) to hold some out")
        n_out = 0
    held = set(rng.choice(eligible, size=n_out, replace=False).tolist()) if n_out else set()
    labels = np.asarray([s.label for s in samples])
    is_held = np.isin(labels, list(held)) if held else np.zeros(len(samples), dtype=bool)
    later_mask = np.zeros(len(samples), dtype=bool)
    timed = [i for i, s in enumerate(samples) if s.when is not None and not is_held[i]]
    if later > 0 and timed:
        first: dict[str, object] = {}
        for i in timed:
            sight = samples[i].sighting
            first[sight] = min(first.get(sight, samples[i].when), samples[i].when)
        order = sorted(first, key=lambda k: first[k])
        cut = order[int(round((1 - later) * len(order))) :]
        later_sightings = set(cut)
        later_mask = np.asarray(
            [not is_held[i] and samples[i].sighting in later_sightings for i in range(len(samples))]
        )
    elif later > 0:
        notes.append("no capture times: no later-in-time split")
    train = ~is_held & ~later_mask
    # A later crop is a query only if its individual has earlier (training) crops to be found.
    known = set(labels[train].tolist())
    queries = later_mask & np.isin(labels, list(known))
    return Split(
        train=np.flatnonzero(train),
        heldout_identities=np.flatnonzero(is_held),
        later_queries=np.flatnonzero(queries),
        earlier_gallery=np.flatnonzero(train),
        heldout_labels=tuple(sorted(held)),
        note="; ".join(notes),
    )


def query_gallery_metrics(
    queries: np.ndarray,
    query_labels: Sequence[str],
    gallery: np.ndarray,
    gallery_labels: Sequence[str],
) -> ReidMetrics:
    """Rank-1/5, mAP and pair ROC AUC of unit ``queries`` searching a separate ``gallery``."""
    from sklearn.metrics import roc_auc_score

    ql, gl = np.asarray(query_labels), np.asarray(gallery_labels)
    sim = np.asarray(queries, dtype=np.float64) @ np.asarray(gallery, dtype=np.float64).T
    same = ql[:, None] == gl[None, :]
    r1 = r5 = 0
    aps, chance = [], []
    for q in range(len(ql)):
        if not same[q].any():
            continue
        ranked = same[q][np.argsort(-sim[q], kind="stable")]
        r1 += bool(ranked[0])
        r5 += bool(ranked[:5].any())
        hits = np.flatnonzero(ranked)
        aps.append(float(np.mean(np.arange(1, len(hits) + 1) / (hits + 1))))
        chance.append(same[q].mean())
    n = len(aps)
    nan = float("nan")
    both = same.any() and (~same).any()
    return ReidMetrics(
        queries=n,
        rank1=r1 / n if n else nan,
        rank5=r5 / n if n else nan,
        mean_ap=float(np.mean(aps)) if aps else nan,
        roc_auc=float(roc_auc_score(same.ravel(), sim.ravel())) if both else nan,
        pairs_same=int(same.sum()),
        pairs_different=int((~same).sum()),
        chance_rank1=float(np.mean(chance)) if chance else nan,
    )

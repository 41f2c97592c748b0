"""Re-identification accuracy on a folder of identity sub-folders.

Protocol (``../shared/data/README.md``): every photo is a query once; its gallery is every other
photo except those of the same sighting (same folder, same ``<n>_`` file-name prefix: the left and
right photo of one encounter). Reported: rank-1, rank-5, mean average precision, and the ROC AUC
of same/different-identity pairs (same-sighting pairs excluded).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from deertrack_core.errors import ConfigurationError, NotFoundError
from deertrack_core.progress import ProgressCallback
from deertrack_core.reid.crops import crop_box, full_frame, prefetch
from deertrack_core.reid.embedder_base import Embedder, fit_crop, to_square
from deertrack_core.reid.embedders import get_embedder

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
_SIGHTING = re.compile(r"^(\d+)_")


@dataclass(frozen=True)
class ReidMetrics:
    queries: int  # queries with at least one same-identity photo in their gallery
    rank1: float
    rank5: float
    mean_ap: float
    roc_auc: float
    pairs_same: int
    pairs_different: int
    chance_rank1: float  # expected rank-1 of a random ranking


@dataclass(frozen=True)
class EvaluationReport:
    folder: str
    embedder: str
    crop: str  # "detector" or "full"
    crop_note: str  # how the photos were cropped, in words
    images: int
    identities: int
    detector_misses: int  # photos where the detector found no animal (full frame used)
    metrics: ReidMetrics

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Photo:
    path: Path
    identity: str
    sighting: str


def list_photos(folder: Path, *, max_identities: int | None = None) -> list[Photo]:
    """Photos under ``folder/<identity>/``; the sighting is ``<identity>/<n>`` for ``<n>_*``
    names, else the photo alone."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFoundError(
            f"Folder {folder} does not exist.", "Give a folder of identity folders."
        )
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if max_identities:
        subdirs = subdirs[:max_identities]
    photos = []
    for sub in subdirs:
        for f in sorted(sub.iterdir()):
            if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file():
                m = _SIGHTING.match(f.name)
                sighting = f"{sub.name}/{m.group(1)}" if m else f"{sub.name}/{f.name}"
                photos.append(Photo(f, sub.name, sighting))
    if len({p.identity for p in photos}) < 2:
        raise ConfigurationError(
            f"{folder} holds photos of fewer than two identities.",
            "Put each individual's photos in its own sub-folder (folder name = identity).",
        )
    return photos


def reid_metrics(
    embeddings: np.ndarray, identities: Sequence[str], sightings: Sequence[str]
) -> ReidMetrics:
    """Rank-1/5, mAP and pair ROC AUC of L2-normalised ``embeddings`` under the protocol."""
    from sklearn.metrics import roc_auc_score

    e = np.asarray(embeddings, dtype=np.float64)
    ident = np.asarray(identities)
    sight = np.asarray(sightings)
    sim = e @ e.T
    same_id = ident[:, None] == ident[None, :]
    excluded = sight[:, None] == sight[None, :]  # self and same-sighting partners
    r1 = r5 = 0
    aps: list[float] = []
    chance: list[float] = []
    for q in range(len(e)):
        gallery = np.flatnonzero(~excluded[q])
        positives = same_id[q, gallery]
        if not positives.any():
            continue
        ranked = positives[np.argsort(-sim[q, gallery], kind="stable")]
        r1 += bool(ranked[0])
        r5 += bool(ranked[:5].any())
        hits = np.flatnonzero(ranked)
        aps.append(float(np.mean(np.arange(1, len(hits) + 1) / (hits + 1))))
        chance.append(positives.mean())
    iu = np.triu_indices(len(e), k=1)
    keep = ~excluded[iu]
    scores, labels = sim[iu][keep], same_id[iu][keep]
    n = len(aps)
    auc = float(roc_auc_score(labels, scores)) if labels.any() and (~labels).any() else float("nan")
    return ReidMetrics(
        queries=n,
        rank1=r1 / n if n else float("nan"),
        rank5=r5 / n if n else float("nan"),
        mean_ap=float(np.mean(aps)) if aps else float("nan"),
        roc_auc=auc,
        pairs_same=int(labels.sum()),
        pairs_different=int((~labels).sum()),
        chance_rank1=float(np.mean(chance)) if chance else float("nan"),
    )


def _detector_or_none(crop: str, detector_path: Path | str | None):
    """The detector when asked for (a detector name, or the path of an ONNX model), else None
    and the reason."""
    if crop != "detector":
        return None, "full frames (--crop full)"
    if detector_path is None:
        return None, "full frames (no detector: pass --detector PATH to crop the animal)"
    from deertrack_core.detect import get_detector

    spec = str(detector_path)
    name = spec if spec.startswith("onnx:") else f"onnx:{spec}"
    try:
        return get_detector(name), f"animal crops from {Path(spec.removeprefix('onnx:')).name}"
    except ConfigurationError as exc:
        return None, f"full frames ({exc.problem})"


def evaluate_folder(
    folder: Path,
    *,
    embedder: Embedder | str | None = None,
    crop: str = "detector",
    detector_path: Path | None = None,
    margin: float = 0.1,
    max_identities: int | None = None,
    batch_size: int = 32,
    progress: ProgressCallback | None = None,
) -> EvaluationReport:
    """Embed every photo of ``folder`` (cropped to its best animal box when a detector is given)
    and score re-identification under the protocol above."""
    if crop not in ("detector", "full"):
        raise ConfigurationError(f"Unknown crop mode {crop!r}.", "Use detector or full.")
    if embedder is None or isinstance(embedder, str):
        embedder = get_embedder(embedder)
    photos = list_photos(folder, max_identities=max_identities)
    detector, note = _detector_or_none(crop, detector_path)
    size = getattr(embedder, "input_size", 224)
    misses = 0

    def load(photo: Photo):
        if detector is not None:
            from deertrack_core.detect.run import best_animal_box

            box = best_animal_box(detector, photo.path)
            if box is not None:
                return fit_crop(crop_box(photo.path, box, margin, size), size), True
        return to_square(full_frame(photo.path, size), size), detector is None

    vectors: list[np.ndarray] = []
    batch = []
    for done, (photo, result) in enumerate(prefetch(photos, load, ahead=batch_size), 1):
        if isinstance(result, Exception):
            raise result
        image, found = result
        misses += not found
        batch.append(image)
        if len(batch) == batch_size or done == len(photos):
            vectors.append(embedder.embed(batch))
            batch = []
            if progress:
                progress(done, len(photos), photo.path.name)
    metrics = reid_metrics(
        np.concatenate(vectors), [p.identity for p in photos], [p.sighting for p in photos]
    )
    if detector is not None and misses:
        note += f"; {misses} photos without an animal box used whole"
    return EvaluationReport(
        folder=str(folder),
        embedder=embedder.name,
        crop="detector" if detector is not None else "full",
        crop_note=note,
        images=len(photos),
        identities=len({p.identity for p in photos}),
        detector_misses=misses,
        metrics=metrics,
    )

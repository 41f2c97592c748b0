"""Crop study: how an animal box becomes the embedder's input, scored on nyala-dev.

Every photo of ``../shared/data/nyala-dev`` is cropped to its best animal box from the COCO
detector (``../shared/models/yolox_nano_coco.onnx``, the one ``deertrack evaluate --detector``
uses; boxes found once and reused), then turned into the square model input in several ways:

* fit: ``squash`` (resize to a square, distorting the shape: the old product crop) or ``pad``
  (keep the aspect ratio, fill with the ImageNet mean grey) or ``square`` (grow the box to a
  square in the photo first, so the extra pixels are real background, then pad what the photo
  edge cuts off);
* margin: fraction of the box added on each side;
* input size: the side of the square (MobileNetV2 pools globally, so any size runs).

Each row is scored under the protocol of ``../shared/data/README.md`` (every photo a query once,
gallery without its same-sighting partner): rank-1, rank-5, mAP, pair ROC AUC, all on crops.
The first row is the product's crop before this study (squash, margin 0.1, 224 px), the baseline;
``Δrank-1 [95% CI]`` is each row's gain over it with a paired bootstrap interval over the queries
(168 queries: a difference of 0.03 is one standard error of rank-1 alone).

    python bench/crops.py                    # the whole table (~3 min on 2 cores)
    python bench/crops.py --quick            # four rows
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from deertrack_core.detect import get_detector  # noqa: E402
from deertrack_core.detect.run import best_animal_box  # noqa: E402
from deertrack_core.reid.crops import crop_box  # noqa: E402
from deertrack_core.reid.embedder_base import pad_to_square, to_square  # noqa: E402
from deertrack_core.reid.embedders import get_embedder  # noqa: E402
from deertrack_core.reid.evaluate import list_photos, reid_metrics  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
BASELINE = ("squash", 0.1, 224)


def square_box(box, aspect: float) -> tuple[float, float, float, float]:
    """``box`` (normalised) grown about its centre to a square in pixels (aspect = width/height
    of the photo); may extend past the photo (the crop clips it)."""
    x, y, w, h = box
    side_px = max(w * aspect, h)  # in units of the photo height
    nw, nh = side_px / aspect, side_px
    return (x + w / 2 - nw / 2, y + h / 2 - nh / 2, nw, nh)


def make_input(path: Path, box, fit: str, margin: float, size: int, aspect: float):
    if fit == "square":
        x, y, w, h = square_box(box, aspect)
        # clip to the photo; what falls outside is padded below
        x0, y0 = max(0.0, x), max(0.0, y)
        x1, y1 = min(1.0, x + w), min(1.0, y + h)
        crop = crop_box(path, (x0, y0, x1 - x0, y1 - y0), margin, size)
        return pad_to_square(crop, size)
    crop = crop_box(path, box, margin, size)
    return pad_to_square(crop, size) if fit == "pad" else to_square(crop, size)


def top1_hits(vectors: np.ndarray, identities: list[str], sightings: list[str]) -> np.ndarray:
    """Per query: is the most similar gallery photo (same sighting excluded) the same identity?"""
    ident, sight = np.asarray(identities), np.asarray(sightings)
    sim = vectors @ vectors.T
    sim[sight[:, None] == sight[None, :]] = -np.inf
    return ident[np.argmax(sim, axis=1)] == ident


def paired_interval(a: np.ndarray, b: np.ndarray, reps: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval of mean(a) - mean(b) over the same queries resampled."""
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(a), (reps, len(a)))
    diffs = a[idx].mean(axis=1) - b[idx].mean(axis=1)
    return float(np.quantile(diffs, 0.025)), float(np.quantile(diffs, 0.975))


def rows(quick: bool) -> list[tuple[str, float, int]]:
    if quick:
        return [BASELINE, ("pad", 0.1, 224), ("square", 0.1, 224), ("pad", 0.1, 288)]
    grid = [BASELINE]
    grid += [("squash", m, 224) for m in (0.0, 0.05, 0.2, 0.3)]
    grid += [(fit, m, 224) for fit in ("pad", "square") for m in (0.0, 0.05, 0.1, 0.2, 0.3)]
    grid += [(fit, 0.1, s) for fit in ("squash", "pad", "square") for s in (160, 288, 320)]
    return grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "data" / "nyala-dev")
    parser.add_argument("--detector", type=Path, default=SHARED / "models" / "yolox_nano_coco.onnx")
    parser.add_argument("--quick", action="store_true", help="four rows only")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no data at {args.data} (the real photos live in ../shared/data)")
    from PIL import Image

    photos = list_photos(args.data)
    detector = get_detector(f"onnx:{args.detector}")
    t0 = time.perf_counter()
    boxes, aspects, misses = [], [], 0
    for p in photos:
        # a low score threshold rather than the whole frame: every photo has an animal
        found = best_animal_box(detector, p.path, (0.3, 0.05))
        misses += found is None
        boxes.append(found or (0.0, 0.0, 1.0, 1.0))
        with Image.open(p.path) as im:
            aspects.append(im.width / im.height)
    print(
        f"{len(photos)} photos, {len({p.identity for p in photos})} identities; boxes in "
        f"{time.perf_counter() - t0:.1f} s; {misses} photos without a box (whole frame)"
    )
    embedder = get_embedder("mobilenetv2-imagenet", "cpu")
    identities = [p.identity for p in photos]
    sightings = [p.sighting for p in photos]
    print(
        f"{'fit':7} {'margin':>6} {'size':>5} {'rank-1':>7} {'rank-5':>7} {'mAP':>6} "
        f"{'AUC':>6} {'Δrank-1 [95% CI]':>23}  secs"
    )
    base_hits = None
    for fit, margin, size in rows(args.quick):
        t = time.perf_counter()
        images = [
            make_input(p.path, b, fit, margin, size, a)
            for p, b, a in zip(photos, boxes, aspects, strict=True)
        ]
        embedder.input_size = size  # the pooled network takes any square side
        vectors = np.concatenate(
            [embedder.embed(images[i : i + 32]) for i in range(0, len(images), 32)]
        )
        m = reid_metrics(vectors, identities, sightings)
        hits = top1_hits(vectors, identities, sightings).astype(np.float64)
        base_hits = hits if base_hits is None else base_hits
        lo, hi = paired_interval(hits, base_hits)
        delta = f"{hits.mean() - base_hits.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]"
        tag = " (baseline: the old product crop)" if (fit, margin, size) == BASELINE else ""
        print(
            f"{fit:7} {margin:6.2f} {size:5d} {m.rank1:7.3f} {m.rank5:7.3f} {m.mean_ap:6.3f} "
            f"{m.roc_auc:6.3f} {delta:>23}  {time.perf_counter() - t:4.1f}{tag}",
            flush=True,
        )
    embedder.input_size = 224
    print(
        f"chance rank-1 {m.chance_rank1:.3f}; {m.queries} queries, {m.pairs_same} same / "
        f"{m.pairs_different} different pairs; all figures on detector crops"
    )


if __name__ == "__main__":
    main()

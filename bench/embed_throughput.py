"""Embedding throughput: crops per second end to end vs the model's forward pass alone.

Writes N 1920×1080 JPEGs (one animal box each, sizes as in trail-camera frames) to a temporary
folder, then times
  * end to end — the production pipeline (``cache.embed_crops`` over deertrack_core.images):
    each photo decoded once at reduced scale (PIL draft) + crop + resize on a pool of threads
    sized by the cores, overlapped with preprocessing + forward;
  * forward only — the model on the very same preprocessed batches, already in memory.
The pipeline should stay within 1.5× of the forward time.

    .venv/bin/python bench/embed_throughput.py            # 256 photos
    .venv/bin/python bench/embed_throughput.py --n 64     # quick
    .venv/bin/python bench/embed_throughput.py --embedder open_clip:ViT-B-32:random --device cuda
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from deertrack_core.reid.cache import CropJob, embed_crops  # noqa: E402
from deertrack_core.reid.crops import crop_box  # noqa: E402
from deertrack_core.reid.embedder_base import to_square  # noqa: E402
from deertrack_core.reid.embedders import get_embedder  # noqa: E402


def make_photos(folder: Path, n: int, seed: int = 0) -> list[CropJob]:
    """n 1920×1080 JPEGs with one box each, textured like a trail-camera frame (smooth scene +
    fine grain: ~0.4 MB at quality 85, like a real 2-megapixel frame)."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 255, (27, 48, 3), dtype=np.uint8)).resize(
        (1920, 1080), Image.Resampling.BICUBIC
    )
    detail = Image.fromarray(rng.integers(0, 255, (270, 480, 3), dtype=np.uint8)).resize(
        (1920, 1080), Image.Resampling.BICUBIC
    )
    base = Image.blend(coarse, detail, 0.25)
    noise = rng.normal(0, 3, (1080, 1920, 3))
    jobs = []
    for i in range(n):
        arr = np.asarray(base, dtype=np.float32) + np.roll(noise, i * 37, axis=1)
        path = folder / f"frame_{i:04d}.jpg"
        Image.fromarray(arr.clip(0, 255).astype(np.uint8)).save(path, quality=85)
        w, h = rng.uniform(0.12, 0.45), rng.uniform(0.2, 0.6)
        box = (rng.uniform(0, 1 - w), rng.uniform(0, 1 - h), w, h)
        jobs.append(CropJob(i, path, box))
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256, help="number of photos (default 256)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--embedder", default="mobilenetv2-imagenet")
    parser.add_argument("--device", default=None, help="cpu, cuda or auto (default: setting)")
    parser.add_argument("--dir", type=Path, help="reuse/keep the photos here (default: a temp dir)")
    args = parser.parse_args()

    embedder = get_embedder(args.embedder, device=args.device)
    size = embedder.input_size
    with tempfile.TemporaryDirectory(prefix="dt_embed_bench_") as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        jobs = make_photos(folder, args.n)
        print(f"wrote {args.n} 1920x1080 JPEGs in {time.perf_counter() - t0:.1f} s to {folder}")

        # The same batches, preprocessed once, for the forward-only timing.
        crops = [to_square(crop_box(j.path, j.box, 0.1, size), size) for j in jobs]
        batches = [
            embedder.preprocess(crops[i : i + args.batch]) for i in range(0, len(crops), args.batch)
        ]
        embedder.forward(batches[0])  # warm-up (allocations, cuDNN autotune)

        def forward_only() -> float:
            t = time.perf_counter()
            for b in batches:
                embedder.forward(b)
            return time.perf_counter() - t

        def end_to_end() -> float:
            t = time.perf_counter()
            n = sum(len(ids) for ids, _ in embed_crops(jobs, embedder, batch_size=args.batch))
            assert n == len(jobs)
            return time.perf_counter() - t

        # Interleave the runs so a change in machine load hits both alike.
        fwd_runs, e2e_runs = [], []
        for _ in range(2):
            fwd_runs.append(forward_only())
            e2e_runs.append(end_to_end())
        fwd, e2e = min(fwd_runs), min(e2e_runs)

        t = time.perf_counter()
        for j in jobs:
            crop_box(j.path, j.box, 0.1, size)
        decode = time.perf_counter() - t

    n = len(jobs)
    print(f"embedder: {embedder.name} on {getattr(embedder, 'device', '?')}, batch {args.batch}")
    print(f"decode + crop alone (1 thread, draft): {n / decode:8.1f} crops/s")
    print(f"forward only:                          {n / fwd:8.1f} crops/s  ({fwd:.2f} s)")
    print(f"end to end (decode+crop+embed):        {n / e2e:8.1f} crops/s  ({e2e:.2f} s)")
    print(f"ratio end-to-end / forward: {e2e / fwd:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()

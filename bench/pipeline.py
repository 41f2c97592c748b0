"""The image pipeline: decoding, detection and embedding throughput, end to end vs forward only.

Writes N trail-camera-like JPEGs (1920x1080, 1-4 animal boxes each) to a temporary folder and
times, in one run (so the machine's load hits all alike):

* decode only: Pillow full decode (1 thread), Pillow draft decode at 1/4 (1 thread and the
  pipeline's pool), torchvision.io.decode_jpeg in batches on the device (nvJPEG on CUDA);
* embedding: the embedder's forward pass on preprocessed crops already in memory, against
  ``cache.embed_crops`` end to end (one decode per photo on the pool, crops, forward) and
  against the former path (one decode per box, one thread);
* detection: the detector on letterboxed frames already in memory, against ``detect_pending``'s
  path end to end (decode pool + letterbox + model), on the YOLOX-Nano stand-in
  (``../shared/models/yolox_nano_coco.onnx``) and, with ``--mdsize``, a randomly initialised
  detector of MegaDetector v5a's size (ResNet-101 trunk at 1280 px, ~255 GFLOPs; YOLOv5x6 is
  ~210) exported to ONNX here: its boxes mean nothing, its speed does.

    python bench/pipeline.py                     # CPU, 64 photos
    python bench/pipeline.py --n 512 --device cuda --mdsize
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.embed_throughput import make_photos  # noqa: E402
from deertrack_core.errors import ConfigurationError  # noqa: E402
from deertrack_core.images import pipeline  # noqa: E402
from deertrack_core.reid.cache import CropJob, embed_crops  # noqa: E402
from deertrack_core.reid.crops import crop_box, prefetch  # noqa: E402
from deertrack_core.reid.embedder_base import to_square  # noqa: E402
from deertrack_core.reid.embedders import get_embedder  # noqa: E402

YOLOX = Path(__file__).resolve().parents[2] / "shared" / "models" / "yolox_nano_coco.onnx"


def timed(fn, repeat: int = 2) -> float:
    """The best of ``repeat`` runs (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def extra_boxes(jobs: list[CropJob], seed: int = 1) -> list[CropJob]:
    """1-4 boxes per photo (a group of deer), as real frames have."""
    rng = np.random.default_rng(seed)
    out = []
    for job in jobs:
        out.append(job)
        for k in range(int(rng.integers(0, 4))):
            w, h = rng.uniform(0.08, 0.3), rng.uniform(0.15, 0.45)
            box = (rng.uniform(0, 1 - w), rng.uniform(0, 1 - h), w, h)
            out.append(CropJob(job.detection_id * 10 + k + 1, job.path, box))
    return out


def decode_figures(paths: list[Path], workers: int, device: str) -> dict[str, float]:
    from PIL import Image

    from deertrack_core.images import gpu
    from deertrack_core.images.decode import decode

    def full():
        for p in paths:
            with Image.open(p) as im:
                im.load()

    def draft_one():
        for p in paths:
            decode(p, frame=(270, 480))

    def draft_pool():
        jobs = [pipeline.PhotoJob(p, frame=(270, 480)) for p in paths]
        for _ in pipeline.decoded(jobs, workers=workers):
            pass

    def tv():
        jobs = [pipeline.PhotoJob(p) for p in paths]
        for _ in gpu.decoded(jobs, device=device, workers=workers):
            pass
        if device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()

    n = len(paths)
    return {
        "pil_full_1_thread": n / timed(full, 1),
        "pil_draft_1_thread": n / timed(draft_one),
        f"pil_draft_{workers}_threads": n / timed(draft_pool),
        f"torchvision_decode_jpeg_{device}": n / timed(tv),
    }


def embed_figures(jobs: list[CropJob], embedder, batch: int, workers: int) -> dict[str, float]:
    size = embedder.input_size
    crops = [to_square(crop_box(j.path, j.box, 0.1, size), size) for j in jobs]
    batches = [embedder.preprocess(crops[i : i + batch]) for i in range(0, len(crops), batch)]
    embedder.forward(batches[0])  # warm-up (allocations, cuDNN autotune)

    def forward():
        for b in batches:
            embedder.forward(b)

    def end_to_end():
        assert sum(
            len(i) for i, _ in embed_crops(jobs, embedder, batch_size=batch, workers=workers)
        ) == len(jobs)

    def former():  # one decode per box on one thread, as before the pipeline
        load = lambda j: to_square(crop_box(j.path, j.box, margin=0.1, min_side=size), size)  # noqa: E731
        images = []
        for _, im in prefetch(jobs, load, workers=1, ahead=2 * batch):
            images.append(im)
            if len(images) == batch:
                embedder.embed(images)
                images = []
        if images:
            embedder.embed(images)

    runs = {"forward_only": [], "end_to_end": [], "former_path": []}
    for _ in range(2):  # interleaved: a change in the machine's load hits all alike
        for name, fn in (
            ("forward_only", forward),
            ("end_to_end", end_to_end),
            ("former_path", former),
        ):
            runs[name].append(timed(fn, 1))
    n = len(jobs)
    return {k: n / min(v) for k, v in runs.items()}


def detect_figures(paths: list[Path], detector, workers: int) -> dict[str, float]:
    from deertrack_core.detect import run
    from deertrack_core.images.decode import decode

    frames = [decode(p, frame=detector.input_size).frame() for p in paths]
    tensors = [detector.preprocess([f])[0] for f in frames]
    detector._run(tensors[0])

    def forward():
        for t in tensors:
            detector._run(t)

    def end_to_end():
        todo = [(i, str(p)) for i, p in enumerate(paths)]
        for batch in run._batches(todo, detector, 16, workers):
            detector.detect([p.frame(detector.input_size) for _, _, p in batch], threshold=0.2)

    runs = {"forward_only": [], "end_to_end": []}
    for _ in range(2):
        runs["forward_only"].append(timed(forward, 1))
        runs["end_to_end"].append(timed(end_to_end, 1))
    return {k: len(paths) / min(v) for k, v in runs.items()}


def mdsize_model(path: Path, size: int = 1280) -> Path:
    """A detector with MegaDetector v5a's cost: ResNet-101 trunk at 1280 px, YOLOv8-layout head."""
    import torch
    import torchvision

    trunk = torch.nn.Sequential(*list(torchvision.models.resnet101(weights=None).children())[:-2])
    head = torch.nn.Conv2d(2048, 7, 1)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk, self.head = trunk, head

        def forward(self, x):
            out = self.head(self.trunk(x)).flatten(2)  # (1, 4 + 3, cells)
            return torch.cat([out[:, :4].sigmoid() * size, out[:, 4:].sigmoid()], 1)

    torch.onnx.export(Net().eval(), torch.zeros(1, 3, size, size), str(path), dynamo=False,
                      input_names=["images"], output_names=["output0"])  # fmt: skip
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="photos (default 64)")
    parser.add_argument("--batch", type=int, default=32, help="embedding batch")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument(
        "--workers", type=int, default=pipeline.default_workers(), help="decode threads"
    )
    parser.add_argument(
        "--detector", type=Path, default=YOLOX, help="ONNX detector (default: YOLOX-Nano)"
    )
    parser.add_argument("--mdsize", action="store_true", help="also a MegaDetector-size detector")
    parser.add_argument("--skip", nargs="*", default=[], choices=["decode", "embed", "detect"])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    os.environ["DEERTRACK_DEVICE"] = args.device

    figures: dict[str, dict] = {"setup": {"n": args.n, "device": args.device, "workers": args.workers,
                                          "cores": os.cpu_count()}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="dt_pipeline_bench_") as tmp:
        t0 = time.perf_counter()
        jobs = extra_boxes(make_photos(Path(tmp), args.n))
        paths = sorted({j.path for j in jobs})
        print(f"wrote {len(paths)} 1920x1080 JPEGs with {len(jobs)} boxes in {time.perf_counter() - t0:.1f} s; "
              f"{args.workers} decode threads on {os.cpu_count()} cores, device {args.device}")  # fmt: skip
        if "decode" not in args.skip:
            figures["decode_img_per_s"] = decode_figures(paths, args.workers, args.device)
        if "embed" not in args.skip:
            embedder = get_embedder("mobilenetv2-imagenet", device=args.device)
            figures["embed_crops_per_s"] = embed_figures(jobs, embedder, args.batch, args.workers)
        if "detect" not in args.skip:
            from deertrack_core.detect.onnx_backend import OnnxDetector

            models = {"yolox_nano_416": args.detector} if args.detector.is_file() else {}
            if args.mdsize:
                models["mdsize_resnet101_1280"] = mdsize_model(Path(tmp) / "mdsize.onnx")
            for name, path in models.items():
                cmap = "megadetector" if "mdsize" in name else None
                try:
                    detector = OnnxDetector(path, class_map=cmap, device=args.device)
                except ConfigurationError as exc:  # onnxruntime without CUDA: say so, use the CPU
                    print(f"note: {exc.problem} Detection runs on the CPU.")
                    detector = OnnxDetector(path, class_map=cmap, device="cpu")
                figures[f"detect_{name}_photos_per_s"] = {
                    "device": detector.device,
                    **detect_figures(paths, detector, args.workers),
                }
    for section, values in figures.items():
        print(f"{section}:")
        for key, value in values.items():
            print(
                f"  {key:<32} {value:10.1f}" if isinstance(value, float) else f"  {key:<32} {value}"
            )
        if "forward_only" in values:
            ratio = values["forward_only"] / values["end_to_end"]
            goal = "   (goal for embedding: <= 1.5)" if section.startswith("embed") else ""
            print(f"  {'ratio end_to_end / forward':<32} {ratio:10.2f}{goal}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

"""Fine-tuning: base vs fine-tuned on individuals held out of training, and what it costs.

1. nyala-dev (``../shared/data/nyala-dev``, 18 real individuals; animals cropped with the COCO
   detector of ``../shared/models``): for each seed a third of the individuals is held out, the
   model is fine-tuned on the rest with the product's defaults (``TrainSettings()``), and rank-1,
   rank-5, mAP and pair ROC AUC of the held-out crops are measured before and after, under the
   protocol of ``../shared/data/README.md`` (same-sighting partners never count). Mean ± spread
   over the seeds; the same seeds for every variant of ``--ablation``.
2. CPU cost: one training step of the head on stored stem maps against one through the whole
   network (what training without them would cost, before decoding); one real epoch over 3000
   stored crops; with the per-crop preparation time measured on nyala, the time for 3000 crops.
   CPU seconds are given beside wall seconds: the machine is shared and its load varies.
3. The demo season (``deertrack demo`` into a scratch SQLite database, synthetic photos): the
   product path ``train_version`` on its reviewed subset, held-out individuals and later
   sightings, one run per seed.

    python bench/train.py                   # nyala (5 seeds) + cost + demo (3 seeds)
    python bench/train.py --ablation        # + loss, flip and trained-block variants on nyala
    python bench/train.py --skip-demo --seeds 3
    python bench/train.py --skip-nyala      # cost + demo only
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from deertrack_core.reid.embedders import configure_threads  # noqa: E402
from deertrack_core.reid.evaluate import list_photos, reid_metrics  # noqa: E402
from deertrack_core.reid.train import Sample, Trainer, TrainSettings  # noqa: E402
from deertrack_core.reid.trainsets import split_samples  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
KEYS = (("rank1", "rank-1"), ("rank5", "rank-5"), ("mean_ap", "mAP"), ("roc_auc", "AUC"))
ABLATION = {
    "defaults": {},
    "flip augmentation": {"flip": True},
    "batch-hard triplet loss": {"loss": "triplet"},
    "last module only (a head on frozen features)": {"trainable_blocks": 1},
    "last 4 modules": {"trainable_blocks": 4},
    "no augmentation (1 view)": {"views": 1},
    "4 views": {"views": 4},
}


def cpu_s() -> float:
    """CPU seconds of this process, all threads: on a shared machine wall time depends on the
    others' load, CPU time much less (2 cores: an idle machine's wall time is about half)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def nyala_samples(data: Path, detector_path: Path) -> list[Sample]:
    from deertrack_core.detect import get_detector
    from deertrack_core.detect.run import best_animal_box
    from deertrack_core.reid.cache import MARGIN
    from deertrack_core.reid.crops import crop_box

    detector = get_detector(f"onnx:{detector_path}")
    samples = []
    for p in list_photos(data):
        box = best_animal_box(detector, p.path, (0.3, 0.05)) or (0.0, 0.0, 1.0, 1.0)
        load = partial(crop_box, p.path, box, MARGIN, 224)
        samples.append(Sample(p.identity, p.sighting, load, str(p.path)))
    return samples


def summarise(title: str, rows: list[dict]) -> None:
    """``rows``: one dict per seed with before/after metric dicts."""
    print(f"  {title}: {len(rows)} seeds, mean ± sd")
    for key, label in KEYS:
        b = np.array([r["before"][key] for r in rows], dtype=float)
        a = np.array([r["after"][key] for r in rows], dtype=float)
        d = a - b
        print(f"    {label:7} base {b.mean():.3f} ± {b.std():.3f}   fine-tuned {a.mean():.3f} ± "
              f"{a.std():.3f}   Δ {d.mean():+.3f} ± {d.std():.3f}  (Δ>0 in {(d > 0).sum()}/{len(d)})")  # fmt: skip


def nyala(args) -> None:
    samples = nyala_samples(args.data, args.detector)
    labels = np.array([s.label for s in samples])
    sights = np.array([s.sighting for s in samples])
    print(f"nyala-dev: {len(samples)} detector crops of {len(set(labels))} individuals; "
          f"a third of the individuals held out per seed")  # fmt: skip
    variants = ABLATION if args.ablation else {"defaults": {}}
    stems: dict[tuple, tuple] = {}
    for title, change in variants.items():
        base = dataclasses.replace(TrainSettings(), **change)
        key = (base.trainable_blocks, base.views, base.flip)
        if key not in stems:
            t, c = time.perf_counter(), cpu_s()
            feats, kept = Trainer(base).stem_features(samples, views=base.views)
            stems[key] = (feats, time.perf_counter() - t, cpu_s() - c)
            assert len(kept) == len(samples)
        feats, prep_s, prep_cpu = stems[key]
        rows, fit_s, fit_cpu = [], [], []
        for seed in range(args.seeds):
            split = split_samples(samples, holdout=1 / 3, later=0.0, seed=seed)
            tr, te = split.train, split.heldout_identities
            trainer = Trainer(dataclasses.replace(base, seed=seed))
            before = reid_metrics(trainer.embed(feats[te, 0], tuned=False), labels[te], sights[te])
            t, c = time.perf_counter(), cpu_s()
            trainer.fit(feats[tr], labels[tr].tolist())
            fit_s.append(time.perf_counter() - t)
            fit_cpu.append(cpu_s() - c)
            after = reid_metrics(trainer.embed(feats[te, 0]), labels[te], sights[te])
            rows.append({"before": vars(before), "after": vars(after)})
            if title == "defaults":
                print(f"    seed {seed}: {len(tr)} training crops, {len(te)} held-out crops of "
                      f"{len(split.heldout_labels)} individuals; rank-1 {before.rank1:.3f} -> "
                      f"{after.rank1:.3f}, mAP {before.mean_ap:.3f} -> {after.mean_ap:.3f}, "
                      f"AUC {before.roc_auc:.3f} -> {after.roc_auc:.3f}; trained in "
                      f"{fit_s[-1]:.0f} s")  # fmt: skip
        summarise(f"{title} {change or ''}".strip(), rows)
        print(f"    time: stem features {prep_s:.0f} s wall / {prep_cpu:.0f} s CPU for "
              f"{len(samples)} crops × {base.views} views; training {np.mean(fit_s):.0f} s wall / "
              f"{np.mean(fit_cpu):.0f} s CPU per seed ({base.epochs} epochs)")  # fmt: skip
        if title == "defaults":
            args.per_crop_prep = prep_cpu / len(samples)
            args.per_crop_epoch = np.mean(fit_cpu) / (len(split.train) * base.epochs)


def cost(args) -> None:
    """One training step of the head on stored maps vs of the whole network on images."""
    import torch

    s = TrainSettings()
    trainer = Trainer(s)
    batch = s.identities_per_batch * s.crops_per_identity
    images = torch.randn(batch, 3, s.input_size, s.input_size)
    stored = trainer.stem(images).detach().half()
    model = trainer.model
    for p in model.parameters():
        p.requires_grad_(True)

    def step(fn) -> float:
        times = []
        for _ in range(6):
            t = time.process_time()  # CPU time of all threads, like the figures below
            fn().pow(2).mean().backward()
            times.append(time.process_time() - t)
        return float(np.median(times[1:])) * 1000 / batch

    head = step(lambda: trainer.head(stored.float()).mean(dim=(2, 3)))
    full = step(lambda: model(images))
    print(f"CPU time per crop ({torch.get_num_threads()} threads, batch {batch}):")
    print(f"  one training step, head only (last {s.trainable_blocks} modules on stored maps): "
          f"{head:.1f} ms; whole network on images: {full:.1f} ms ({full / head:.1f}x), "
          "before decoding the photo again each epoch")  # fmt: skip
    # One real epoch at scale: random stored maps stand in for 3000 crops of 300 individuals
    # (the cost of training does not depend on what the maps show).
    n_crops = 3000
    rng = torch.Generator().manual_seed(0)
    maps = torch.randn(n_crops, s.views, *stored.shape[1:], generator=rng).half()
    one = Trainer(dataclasses.replace(s, epochs=1))
    t, c = time.perf_counter(), cpu_s()
    one.fit(maps, [f"id{i % 300}" for i in range(n_crops)])
    wall, cpu = time.perf_counter() - t, cpu_s() - c
    print(
        f"  one epoch over {n_crops} stored crops (300 individuals): {wall:.0f} s wall / "
        f"{cpu:.0f} s CPU; {s.epochs} epochs: ~{wall * s.epochs / 60:.1f} min wall here"
    )
    args.per_crop_epoch = cpu / n_crops
    prep = getattr(args, "per_crop_prep", None)
    if prep is not None:
        n, e = 3000, s.epochs
        total = n * prep + n * e * args.per_crop_epoch
        whole = n * e * full / 1000
        cores = os.cpu_count() or 1
        print(f"  CPU time: {prep * 1000:.0f} ms per crop to prepare {s.views} views (nyala: "
              f"decode + augment + stem), {args.per_crop_epoch * 1000:.1f} ms per crop-epoch of "
              "training (the epoch above)")  # fmt: skip
        print(f"  3000 crops, {e} epochs: ~{total / 60:.1f} CPU-minutes, ~{total / 60 / cores:.1f} "
              f"min on {cores} idle cores (whole network without stored maps: ~{whole / 60:.1f} "
              "CPU-minutes of steps alone, + decoding and augmenting every epoch)")  # fmt: skip


def demo(args) -> None:
    from deertrack_cli.main import main as cli
    from deertrack_core import migrate
    from deertrack_core.reid.finetune import train_version

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["DEERTRACK_DATA_ROOT"] = str(root)
        os.environ["DEERTRACK_MODELS_DIR"] = str(root / "models")
        url = f"sqlite:///{root / 'demo.db'}"
        migrate.upgrade(url, "head")
        t = time.perf_counter()
        cli(["demo", "--url", url, "--out", str(root / "season"), "--no-reid", "--no-progress"])
        print(f"demo season loaded in {time.perf_counter() - t:.0f} s (synthetic photos)")
        rows: dict[str, list] = {"identity_split": [], "time_split": []}
        for seed in range(args.demo_seeds):
            t, c = time.perf_counter(), cpu_s()
            v = train_version(url, user="bench", train_settings=TrainSettings(seed=seed))
            ts, m = v.training_set, v.metrics
            print(f"    seed {seed}: {ts['crops']} training crops of {ts['identities']} deer "
                  f"(of {ts['found_crops']} reviewed); {len(ts['heldout_individuals'])} deer and "
                  f"{ts['later_crops']} later crops held out; stem features "
                  f"{m['precompute_seconds']:.0f} s, training {m['train_seconds']:.0f} s, "
                  f"total {time.perf_counter() - t:.0f} s wall / {cpu_s() - c:.0f} s CPU")  # fmt: skip
            for key in rows:
                if key in m:
                    rows[key].append(m[key])
        summarise("demo, held-out individuals", rows["identity_split"])
        if rows["time_split"]:
            summarise("demo, later sightings of the trained deer", rows["time_split"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "data" / "nyala-dev")
    parser.add_argument("--detector", type=Path, default=SHARED / "models" / "yolox_nano_coco.onnx")
    parser.add_argument("--seeds", type=int, default=5, help="nyala splits (default 5)")
    parser.add_argument("--demo-seeds", type=int, default=3, help="demo runs (default 3)")
    parser.add_argument("--ablation", action="store_true", help="also the variants on nyala")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-nyala", action="store_true")
    args = parser.parse_args()
    configure_threads()
    print(f"defaults: {TrainSettings().as_dict()}")
    if args.skip_nyala:
        pass
    elif args.data.is_dir():
        nyala(args)
    else:
        print(f"no nyala-dev at {args.data}: skipped (real data lives in ../shared/data)")
    cost(args)
    if not args.skip_demo:
        demo(args)


if __name__ == "__main__":
    main()

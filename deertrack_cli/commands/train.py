"""deertrack train: fine-tune the embedder on reviewed identities and store it as a version."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "train"
HELP = (
    "Fine-tune the MobileNetV2 embedder on the crops of reviewed individuals (or a folder of "
    "identity sub-folders), score it against the base model on held-out individuals and later "
    "sightings, and store it as a model version. The last line printed is the version's name."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from deertrack_core.reid.train import LOSSES, TrainSettings

    d = TrainSettings()
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument(
        "--from-folder", type=Path, metavar="FOLDER",
        help="train on FOLDER/<identity>/photos instead of the database's reviewed detections",
    )  # fmt: skip
    parser.add_argument(
        "--detector", type=Path,
        help="with --from-folder: COCO YOLOX ONNX model to crop the animal (needs onnxruntime)",
    )  # fmt: skip
    parser.add_argument("--epochs", type=int, default=d.epochs, help=f"(default {d.epochs})")
    parser.add_argument(
        "--blocks", type=int, default=d.trainable_blocks,
        help=f"last MobileNetV2 modules trained, 1-5 (default {d.trainable_blocks})",
    )  # fmt: skip
    parser.add_argument("--loss", choices=LOSSES, default=d.loss, help=f"(default {d.loss})")
    parser.add_argument(
        "--lr", type=float, default=d.learning_rate, help=f"(default {d.learning_rate})"
    )
    parser.add_argument(
        "--views", type=int, default=d.views, help=f"augmented views per crop (default {d.views})"
    )
    parser.add_argument("--seed", type=int, default=d.seed, help="(default 0)")
    parser.add_argument(
        "--max-crops", type=int, default=d.max_crops, help=f"(default {d.max_crops})"
    )
    parser.add_argument(
        "--holdout", type=float, default=0.25,
        help="share of individuals held out of training for evaluation (default 0.25)",
    )  # fmt: skip
    parser.add_argument(
        "--later", type=float, default=0.2,
        help="share of the latest sightings held out of training (default 0.2)",
    )  # fmt: skip
    parser.add_argument("--device", help="cpu or cuda (default: DEERTRACK_DEVICE)")
    parser.add_argument("--json", action="store_true", help="print the version record as JSON")


def print_comparison(metrics: dict) -> None:
    """Before/after table of a version's held-out evaluations."""
    names = {"identity_split": "held-out individuals", "time_split": "later sightings"}
    for key, title in names.items():
        split = metrics.get(key)
        if not split:
            continue
        b, a = split["before"], split["after"]
        print(f"{title} ({a['queries']} queries; chance rank-1 {_f(a['chance_rank1'])}):")
        for field, label in (("rank1", "rank-1"), ("rank5", "rank-5"), ("mean_ap", "mAP"),
                             ("roc_auc", "ROC AUC")):  # fmt: skip
            print(f"  {label:8} {_f(b[field])} -> {_f(a[field])}")


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def run(args: argparse.Namespace) -> int:
    from deertrack_core.auth import Actor
    from deertrack_core.progress import progress_bar
    from deertrack_core.reid.finetune import train_version
    from deertrack_core.reid.train import TrainSettings

    train_settings = TrainSettings(
        epochs=args.epochs, trainable_blocks=args.blocks, loss=args.loss,
        learning_rate=args.lr, views=args.views, seed=args.seed, max_crops=args.max_crops,
    ).validate()  # fmt: skip
    with progress_bar("training") as bar:
        trained = train_version(
            args.url, actor=Actor.console(), folder=args.from_folder,
            detector_path=args.detector, train_settings=train_settings, holdout=args.holdout,
            later=args.later, device=args.device, progress=bar,
        )  # fmt: skip
    if args.json:
        print(json.dumps(trained.as_dict(), indent=2, default=str))
    else:
        ts, m = trained.training_set, trained.metrics
        print(f"trained on {ts['crops']} crops of {ts['identities']} individuals "
              f"({ts['crops_from']}) in {m['train_seconds']:.0f} s on {m['device']} "
              f"(+{m['precompute_seconds']:.0f} s preparing crops)")  # fmt: skip
        print_comparison(m)
        if m.get("split_note"):
            print(f"note: {m['split_note']}")
    print(trained.name)
    return 0

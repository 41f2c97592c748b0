"""deertrack evaluate: re-identification accuracy on a folder of identity sub-folders."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "evaluate"
HELP = (
    "Score re-identification on FOLDER/<identity>/photos: rank-1, rank-5, mAP and ROC AUC "
    "(photos sharing an '<n>_' prefix are one sighting and never each other's match)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="folder of identity sub-folders")
    parser.add_argument(
        "--crop",
        choices=("detector", "full"),
        default="detector",
        help="crop the animal with --detector (default; full frames when no detector is given) "
        "or use full frames",
    )
    parser.add_argument(
        "--detector",
        help="detector for the crops: an ONNX model's path or onnx:PATH (any YOLO-family model)",
    )
    parser.add_argument("--embedder", help="embedder name (default: DEERTRACK_EMBEDDER)")
    parser.add_argument(
        "--model", metavar="VERSION", help="a stored model version (deertrack train), or 'latest'"
    )
    parser.add_argument("--url", help="database URL of the versions (with --model)")
    parser.add_argument("--max-identities", type=int, help="only the first N identity folders")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from deertrack_core.progress import progress_bar
    from deertrack_core.reid.evaluate import evaluate_folder

    embedder = args.embedder
    if args.model:
        from deertrack_core import db
        from deertrack_core.reid.versions import PREFIX, get_version

        with db.session_scope(args.url) as session:
            embedder = PREFIX + get_version(session, args.model).name
    with progress_bar("embedding") as bar:
        report = evaluate_folder(
            args.folder,
            embedder=embedder,
            crop=args.crop,
            detector_path=args.detector,
            max_identities=args.max_identities,
            progress=bar,
        )
    m = report.metrics
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    print(f"folder: {report.folder}")
    print(f"embedder: {report.embedder}")
    print(f"on: {report.crop_note}")
    print(f"photos: {report.images}, identities: {report.identities}, queries: {m.queries}")
    print(f"pairs: {m.pairs_same} same, {m.pairs_different} different (same sighting excluded)")
    print(f"chance rank-1: {m.chance_rank1:.3f}")
    print(f"rank-1: {m.rank1:.3f}")
    print(f"rank-5: {m.rank5:.3f}")
    print(f"mAP: {m.mean_ap:.3f}")
    print(f"ROC AUC: {m.roc_auc:.3f}")
    return 0

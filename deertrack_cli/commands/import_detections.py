"""deertrack import-detections FILE.json: store MegaDetector boxes on the ingested photos."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from deertrack_core.auth import Actor
from deertrack_core.ingest import import_detections
from deertrack_core.progress import progress_bar

NAME = "import-detections"
HELP = (
    "Import a MegaDetector output file (batch format 1.x or the v6 list) or SpeciesNet "
    "predictions.json onto photos already ingested; files are matched by relative path, "
    "species become labels of the species gate."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="MegaDetector JSON output")
    parser.add_argument(
        "--threshold",
        type=float,
        help="keep boxes at or above this confidence (default: the file's "
        "typical_detection_threshold, else 0.2)",
    )
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")


def run(args: argparse.Namespace) -> int:
    with progress_bar("import", enabled=not args.no_progress) as bar:
        summary = import_detections(
            args.file, url=args.url, threshold=args.threshold, progress=bar, actor=Actor.console()
        )
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, default=str))
        return 0
    print(
        f"{summary.images_matched} photos matched, {summary.detections_stored} boxes stored "
        f"(threshold {summary.threshold:g}, {summary.below_threshold} below it), "
        f"{len(summary.unmatched_files)} files unmatched, {summary.failed_images} failed "
        f"in the detector"
    )
    if summary.species_labels:
        print(
            f"  species ({summary.dialect}): {summary.species_labels} boxes labelled; "
            f"{summary.identities_withdrawn} machine identities withdrawn from other species"
        )
    if summary.detections_replaced or summary.detections_kept:
        print(
            f"  re-import: {summary.detections_replaced} unreviewed boxes replaced, "
            f"{summary.detections_kept} reviewed boxes kept"
        )
    for name in summary.unmatched_files[:20]:
        print(f"  unmatched: {name}")
    if len(summary.unmatched_files) > 20:
        print(f"  ... and {len(summary.unmatched_files) - 20} more unmatched")
    for name in summary.ambiguous_files[:20]:
        print(f"  ambiguous (several photos fit): {name}")
    for problem in summary.failures[:20]:
        print(f"  failed: {problem.path}: {problem.reason}")
    return 0

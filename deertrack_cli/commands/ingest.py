"""deertrack ingest PATH: store the photos of a folder tree (EXIF, XMP tags, deployments)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from deertrack_core.auth import Actor
from deertrack_core.ingest import ingest_folder
from deertrack_core.ingest.layout import LAYOUTS
from deertrack_core.progress import progress_bar

NAME = "ingest"
HELP = (
    "Ingest the photos under PATH: station/camera from the folders (or a deployments CSV), "
    "EXIF time, size, camera, XMP species/individual tags; duplicates are skipped."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="folder that holds the station folders")
    parser.add_argument(
        "--deployments",
        type=Path,
        metavar="CSV",
        help="deployments CSV: station, camera, folder, lat, lon, start, end, timezone, "
        "clock_offset_s (one row per deployment)",
    )
    parser.add_argument(
        "--layout",
        default="auto",
        help=f"folder levels below PATH: {', '.join(LAYOUTS)}; '*' skips a level (default auto)",
    )
    parser.add_argument(
        "--detections",
        type=Path,
        metavar="JSON",
        help="MegaDetector output to import right after (same as deertrack import-detections)",
    )
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")


def run(args: argparse.Namespace) -> int:
    with progress_bar("ingest", enabled=not args.no_progress) as bar:
        summary = ingest_folder(
            args.path,
            url=args.url,
            deployments_csv=args.deployments,
            layout=args.layout,
            progress=bar,
            actor=Actor.console(),
        )
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, default=str))
    else:
        print(
            f"ingested {summary.ingested}, duplicate {summary.duplicates}, "
            f"failed {len(summary.failed)}, untimed {summary.untimed} "
            f"({summary.deployments} deployments, {summary.deployments_created} new; "
            f"{summary.sequences} sequences)"
        )
        if summary.updated:
            print(f"  updated {summary.updated} photos whose file changed (e.g. tags added)")
        for problem in summary.failed:
            print(f"  failed: {problem.path}: {problem.reason}")
        if summary.databar_timed:
            print(f"  timed from the camera's data bar (OCR): {summary.databar_timed}")
        for problem in summary.implausible:
            print(f"  implausible time: {problem.path}: {problem.reason}")
        if summary.untimed:
            shown = ", ".join(summary.untimed_files[:5])
            more = f" and {summary.untimed - 5} more" if summary.untimed > 5 else ""
            print(f"  untimed (no EXIF time, no date in the file name): {shown}{more}")
    if args.detections:
        from deertrack_cli.commands import import_detections

        args.file, args.threshold = args.detections, None
        code = import_detections.run(args)
        if code:
            return code
    return 1 if summary.failed else 0

"""deertrack detect [PATH]: find animals on the stored photos a detector has not seen yet."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from deertrack_core.progress import progress_bar

NAME = "detect"
HELP = (
    "Run an animal detector (DEERTRACK_DETECTOR or --detector onnx:MODEL.onnx) over the "
    "ingested photos it has not seen yet (under PATH when given); a second run adds nothing, "
    "an interrupted run resumes."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", type=Path, help="only photos under this folder")
    parser.add_argument("--detector", help="onnx:PATH (default: DEERTRACK_DETECTOR)")
    parser.add_argument(
        "--class-map",
        help="megadetector, coco80 or a JSON file (default: the model's own names, else by "
        "the number of classes)",
    )
    parser.add_argument(
        "--threshold", type=float, help="store boxes at or above this confidence "
        "(default: DEERTRACK_DETECTION_THRESHOLD)",
    )  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=16, help="photos per stored batch")
    parser.add_argument("--embed", action="store_true",
                        help="also embed the new animal boxes from the same decode")  # fmt: skip
    parser.add_argument("--background", action="store_true",
                        help="queue it as a job for the worker and print the job id")  # fmt: skip
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")


def run(args: argparse.Namespace) -> int:
    from deertrack_core.auth import Actor

    if args.background:
        from jobs.tasks import enqueue_detect

        job_id = enqueue_detect(
            detector=args.detector, class_map=args.class_map, threshold=args.threshold,
            under=args.path, embed=args.embed, actor=Actor.console(),
        )  # fmt: skip
        print(job_id)
        return 0
    from deertrack_core.detect.run import detect_pending

    with progress_bar("detect", enabled=not args.no_progress) as bar:
        summary = detect_pending(
            args.url, detector=args.detector, class_map=args.class_map, threshold=args.threshold,
            under=args.path, batch_size=args.batch_size, embed=args.embed, progress=bar,
            actor=Actor.console(),
        )  # fmt: skip
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, default=str))
        return 1 if summary.failed else 0
    print(
        f"{summary.model}: looked at {summary.photos} photos ({summary.seen_before} seen before), "
        f"stored {summary.boxes} boxes ({summary.animals} animals) at confidence >= "
        f"{summary.threshold:g}" + (f", embedded {summary.embedded}" if summary.embedded else "")
    )
    for problem in summary.failed:
        print(f"  failed: {problem.path}: {problem.reason}")
    return 1 if summary.failed else 0

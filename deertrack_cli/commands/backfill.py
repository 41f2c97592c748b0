"""deertrack backfill: score every identified detection against every deer (resumable)."""

from __future__ import annotations

import argparse

from deertrack_core.progress import progress_bar
from deertrack_core.reid.backfill import DEFAULT_BATCH_SIZE, backfill
from deertrack_core.reid.prototypes import PROTOTYPE_KINDS

NAME = "backfill"
HELP = (
    "Recompute the similarity of every identified detection to every deer (leave-one-out) "
    "from cached embeddings. Idempotent; an interrupted run resumes where it stopped."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"detections per transaction (default {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument("--model", help="embedding model (default: the active one)")
    parser.add_argument("--run-id", help="run id (default: stable, derived from the data)")
    parser.add_argument(
        "--prototype", choices=PROTOTYPE_KINDS, default="mean", help="deer prototype (mean)"
    )


def run(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        print("error: --batch-size must be at least 1")
        return 2
    with progress_bar("backfill") as bar:
        s = backfill(
            args.url,
            model=args.model,
            run_id=args.run_id,
            batch_size=args.batch_size,
            prototype=args.prototype,
            progress=bar,
        )
    print(
        f"backfill {s.run_id}: {s.detections} detections x {s.deer} deer (model {s.model}); "
        f"{s.processed} scored now, {s.already_done} already done"
    )
    print(f"scores written: {s.scores_written} in {s.batches} batches, {s.seconds:.1f} s")
    if s.missing_embeddings:
        print(f"left out: {s.missing_embeddings} detections without an embedding")
    return 0

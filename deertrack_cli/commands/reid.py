"""deertrack reid: match detections that have no deer yet against the known deer."""

from __future__ import annotations

import argparse

from deertrack_core.auth import Actor
from deertrack_core.progress import progress_bar
from deertrack_core.reid.matching import NEW_INDIVIDUAL_MODES, match_pending
from deertrack_core.reid.pipeline import calibrate_and_match
from deertrack_core.reid.prototypes import PROTOTYPE_KINDS

NAME = "reid"
HELP = (
    "Re-identify animal detections that have no deer yet: auto-match above the threshold, "
    "otherwise propose candidates for review (or create new individuals)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument(
        "--threshold", type=float, help="match threshold (default: the active recorded one)"
    )
    parser.add_argument(
        "--new-individuals",
        choices=NEW_INDIVIDUAL_MODES,
        help="below the threshold: propose or create (default: DEERTRACK_NEW_INDIVIDUALS)",
    )
    parser.add_argument(
        "--prototype", choices=PROTOTYPE_KINDS, default="mean", help="deer prototype (mean)"
    )
    parser.add_argument(
        "--calibrate",
        metavar="PRECISION",
        type=float,
        help="first score the reviewed detections and apply the lowest threshold that reaches "
        "this precision on them (e.g. 0.95), then match",
    )


def run(args: argparse.Namespace) -> int:
    if args.calibrate is not None:
        with progress_bar("matching") as bar:
            calibrated = calibrate_and_match(
                args.url, actor=Actor.console(), target_precision=args.calibrate,
                progress=bar,
            )  # fmt: skip
        print(
            f"applied threshold {calibrated.threshold:.3f} ({calibrated.goal}; on the reviewed "
            f"evidence precision {calibrated.precision:.2f}, recall {calibrated.recall:.2f}, "
            f"ROC AUC {calibrated.roc_auc:.2f})"
        )
        _print_summary(calibrated.match)
        return 0
    if args.threshold is None:  # DEERTRACK_AUTO_THRESHOLD=on: refit first when evidence grew
        from deertrack_core import db
        from deertrack_core.reid.drift import auto_apply

        with db.session_scope(args.url) as session:
            auto = auto_apply(session)
        if auto.applied:
            print(f"automatic threshold {auto.threshold:.3f} ({auto.reason})")
    with progress_bar("matching") as bar:
        summary = match_pending(
            args.url,
            threshold=args.threshold,
            new_individuals=args.new_individuals,
            prototype=args.prototype,
            progress=bar,
        )
    _print_summary(summary)
    return 0


def _print_summary(summary) -> None:
    print(
        f"matched {summary.detections} detections in {summary.tracks} tracks against "
        f"{summary.gallery_deer} known deer (model {summary.model}, threshold "
        f"{summary.threshold:.3f}, {summary.mode})"
    )
    print(
        f"auto {summary.auto}, new individuals {summary.new}, proposed for review "
        f"{summary.proposed}, skipped (no embedding) {summary.skipped}"
    )
    print(f"scores logged: {summary.scores_logged} (run {summary.run_id})")

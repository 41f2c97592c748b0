"""deertrack demo: load the synthetic demo season (drawn deer, not real photos)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sqlalchemy import func, select

from deertrack_core import db, settings
from deertrack_core.auth import Actor
from deertrack_core.demo import load_demo
from deertrack_core.demo.load import default_out_dir
from deertrack_core.models import Image
from deertrack_core.progress import progress_bar
from deertrack_core.reid.calibration import InsufficientEvidenceError
from deertrack_core.reid.pipeline import CalibratedPass, calibrate_and_match

NAME = "demo"
HELP = (
    "Generate and load the SYNTHETIC demo season: six trail cameras, September-January, two "
    "dozen drawn deer with a reviewed ground-truth subset. Deterministic for a seed."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--if-empty", action="store_true",
        help="do nothing when the database already holds photos (make run uses this)",
    )  # fmt: skip
    parser.add_argument(
        "--remove", action="store_true",
        help="remove the demo season instead: its records and files, and nothing else",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for the generated photos (default DATA_ROOT/var/demo-season)",
    )
    parser.add_argument("--deer", type=int, default=24, help="individual deer (default 24)")
    parser.add_argument("--cameras", type=int, default=6, help="camera stations (default 6)")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")
    parser.add_argument(
        "--no-reid",
        action="store_true",
        help="only load the season; skip the first re-identification pass (calibrate a threshold "
        "on the reviewed subset, then match the pending boxes)",
    )


def run(args: argparse.Namespace) -> int:
    url = args.url or settings.database_url()
    if args.remove:
        return _remove(url, as_json=args.json)
    if args.if_empty:
        engine = db.get_engine(url)
        db.require_schema(engine)
        with db.session_scope(url) as session:
            photos = session.scalar(select(func.count(Image.id))) or 0
        if photos:
            print(f"demo season not loaded: the database already holds {photos} photos")
            return 0
    with progress_bar("demo season", enabled=not args.no_progress) as bar:
        summary = load_demo(
            url, out_dir=args.out or default_out_dir(), seed=args.seed, n_deer=args.deer,
            n_cameras=args.cameras, progress=bar, actor=Actor.console(),
        )  # fmt: skip
    if not args.json:
        print(
            f"Loaded the SYNTHETIC demo season (seed {summary.seed}): drawn deer, not real animals.\n"
            f"  {summary.photos} photos from {summary.cameras} cameras, {summary.start} to "
            f"{summary.end}, in {summary.out_dir}\n"
            f"  {summary.ingested} photos ingested ({summary.duplicates} already there), "
            f"{summary.detections} detector boxes in {summary.tracks} burst tracks\n"
            f"  {summary.deer_known} of {summary.deer_total} deer known from "
            f"{summary.reviewed} reviewed boxes (up to {summary.reviewed_until}); "
            f"{summary.pending} boxes pending re-identification\n"
            f"  generated in {summary.generate_s:.1f} s, loaded in {summary.load_s:.1f} s\n"
        )
    calibrated = None if args.no_reid else _first_reid_pass(url, args)
    if args.json:
        result = summary.as_dict()
        result["reid"] = calibrated.as_dict() if calibrated else None
        print(json.dumps(result, indent=2, default=str))
        return 0
    if calibrated is None:
        print("Next: deertrack reid --calibrate 0.95 (match the pending boxes).")
        return 0
    m = calibrated.match
    print(
        f"  threshold {calibrated.threshold:.3f} applied ({calibrated.goal} on the reviewed "
        f"subset, ROC AUC {calibrated.roc_auc:.2f}); {m.tracks} tracks decided: {m.auto} matched, "
        f"{m.proposed} proposed for review, {m.new} new; {m.scores_logged} scores logged"
    )
    return 0


def _first_reid_pass(url: str, args: argparse.Namespace) -> CalibratedPass | None:
    """Calibrate a threshold on the reviewed subset, then match the pending boxes."""
    if not args.json:
        print("First re-identification pass: embedding crops, calibrating on the reviewed subset")
    with progress_bar("re-identification", enabled=not args.no_progress) as bar:
        try:
            return calibrate_and_match(
                url, actor=Actor.console("demo"), target_precision=0.95, progress=bar
            )
        except InsufficientEvidenceError as exc:
            print(f"first re-identification pass skipped: {exc.problem}")
            return None


def _remove(url: str, *, as_json: bool) -> int:
    from deertrack_core.demo.remove import remove_demo

    done = remove_demo(url, actor=Actor.console())
    if as_json:
        print(json.dumps(done.as_dict(), indent=2))
    elif not done.photos and not done.deer:
        print("no demo season in this database: nothing removed")
    else:
        print(
            f"Removed the synthetic demo season: {done.deployments} cameras, {done.photos} "
            f"photos, {done.detections} detections, {done.deer} deer, {done.scores} scores, "
            f"{done.corrections} audit rows, {done.thresholds} demo thresholds; "
            f"{done.files} files from {done.folder or '(no folder found)'}"
        )
        if done.requeued:
            print(f"  {done.requeued} of your detections were matched to a demo deer: "
                  "they are back in the review queue (deertrack reid matches them again)")  # fmt: skip
    return 0

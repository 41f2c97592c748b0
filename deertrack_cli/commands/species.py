"""deertrack species: the species gate — what enters re-identification, and the classifier."""

from __future__ import annotations

import argparse
import json

from deertrack_core import db, settings
from deertrack_core.auth import Actor

NAME = "species"
HELP = (
    "Show how many animal detections the species gate lets into re-identification "
    "(DEERTRACK_TARGET_SPECIES); --fit learns a target / not-target classifier from your own "
    "labels and prints its cross-validated accuracy; --apply labels the boxes nothing else names."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fit", action="store_true", help="fit the classifier on your labels")
    parser.add_argument("--apply", action="store_true", help="label unlabelled boxes with it")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--user", help="name for the record (default: DEERTRACK_USER or login)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from deertrack_core import species_classifier as clf
    from deertrack_core.species import gate_counts

    url = args.url or settings.database_url()
    db.require_schema(db.get_engine(url))
    out: dict = {"targets": settings.target_species()}
    if args.fit:
        out["classifier"] = clf.fit_classifier(
            url, actor=Actor.console(args.user or None), folds=args.folds
        ).as_dict()
    if args.apply:
        out["classified"] = clf.apply_classifier(url, actor=Actor.console(args.user or None))
    with db.session_scope(url) as session:
        out["gate"] = gate_counts(session)
        row = clf.latest(session)
        if row is not None and "classifier" not in out:
            out["classifier"] = {"id": row.id, "model": row.model, "targets": row.targets,
                                 "positives": row.positives, "negatives": row.negatives,
                                 "cv_accuracy": row.cv_accuracy, "cv_folds": row.cv_folds}  # fmt: skip
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    g = out["gate"]
    print(f"target species: {out['targets']}")
    print(f"animal detections: {g['target']} of a target species, {g['other']} of other species "
          f"(kept out of re-identification), {g['unknown']} of unknown species (let in)")  # fmt: skip
    if "classifier" in out:
        c = out["classifier"]
        print(f"classifier {c['id']} on {c['model']}: {c['cv_accuracy']:.1%} cross-validated accuracy "
              f"({c['cv_folds']} folds; {c['positives']} target and {c['negatives']} other labels)")  # fmt: skip
    if "classified" in out:
        k = out["classified"]
        print(
            f"classified {k['target']} boxes as target species, {k['not_target']} as other species"
        )
    return 0

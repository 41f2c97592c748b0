"""deertrack scores summary: what the logged similarity scores say, per model and run."""

from __future__ import annotations

import argparse
import json

from deertrack_core import db, settings
from deertrack_core.reports.request import validate_export_request
from deertrack_core.reports.scores import MAX_BINS, ScoreQuery, score_summary

NAME = "scores"
HELP = (
    "Analyse logged similarity scores: 'summary' prints their distribution by bucket, the "
    "matched rate per model and run, and same vs different deer where reviewed "
    "(export them with deertrack export --type scores_csv|scores_parquet)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["summary"], help="what to do (summary)")
    parser.add_argument("--model", help="only this embedding model's scores")
    parser.add_argument("--run", dest="run_id", help="only this run's scores")
    parser.add_argument("--start", help="photos from this day, ISO date")
    parser.add_argument("--end", help="photos up to this day, ISO date")
    parser.add_argument("--deployments", help="comma-separated deployment ids (default: all)")
    parser.add_argument("--bins", type=int, default=20, help=f"score buckets, 1-{MAX_BINS} (20)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")


def run(args: argparse.Namespace) -> int:
    data: dict[str, object] = {"report_type": "scores_csv"}
    for key, value in (("model", args.model), ("run_id", args.run_id),
                       ("start_date", args.start), ("end_date", args.end)):  # fmt: skip
        if value:
            data[key] = value
    if args.deployments:
        data["deployments"] = [d.strip() for d in args.deployments.split(",") if d.strip()]
    if not 1 <= args.bins <= MAX_BINS:
        from deertrack_core.errors import ValidationError

        raise ValidationError({"bins": f"--bins must be 1 to {MAX_BINS} (got {args.bins})"})
    url = args.url or settings.database_url()
    db.require_schema(db.get_engine(url))
    with db.session_scope(url) as session:
        request = validate_export_request(data, session=session)
        summary = score_summary(session, ScoreQuery.from_request(request), bins=args.bins)
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2, default=str))
        return 0
    print(text(summary))
    return 0


def text(summary) -> str:
    if not summary.total:
        return "No similarity scores match (run deertrack reid or deertrack backfill first)."
    rate = f"{summary.matched_rate:.1%}"
    lines = [f"{summary.total:,} scores, {summary.matched:,} led to a match ({rate})", "",
             f"{'model':24} {'run':28} {'kind':9} {'scores':>9} {'matched':>8} {'rate':>7} "
             f"{'threshold':>10} {'mean':>6}"]  # fmt: skip
    for r in summary.runs:
        t = r["threshold"]
        thr = f"{t:.3f}" if isinstance(t, float) else f"{t[0]:.2f}-{t[1]:.2f}"
        lines.append(f"{r['model'][:24]:24} {r['run_id'][:28]:28} {r['kind']:9} "
                     f"{r['scores']:>9,} {r['matched']:>8,} {r['matched_rate']:>7.1%} "
                     f"{thr:>10} {r['mean_score']:>6.3f}")  # fmt: skip
    rev = summary.reviewed
    lines += [
        "",
        "Reviewed detections: "
        f"{rev['same_deer']:,} same-deer scores (mean {rev['mean_same'] or 0:.3f}), "
        f"{rev['different_deer']:,} different-deer scores "
        f"(mean {rev['mean_different'] or 0:.3f}); ROC AUC "
        f"{rev['roc_auc'] if rev['roc_auc'] is not None else '–'}",  # fmt: skip
        "",
        f"{'bucket':>13} {'scores':>9} {'matched':>8} {'same':>7} {'different':>9}",
    ]
    for b in summary.buckets:
        lines.append(f"{b['lo']:>6.2f}-{b['hi']:<6.2f} {b['scores']:>9,} {b['matched']:>8,} "
                     f"{b['same_deer']:>7,} {b['different_deer']:>9,}")  # fmt: skip
    return "\n".join(lines)

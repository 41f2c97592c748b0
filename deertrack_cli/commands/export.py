"""deertrack export: validate an export request and build the report here and now."""

from __future__ import annotations

import argparse
from pathlib import Path

from deertrack_core import db, settings
from deertrack_core.progress import progress_bar
from deertrack_core.reports.request import GROUP_BY, REPORT_TYPES, validate_export_request

NAME = "export"
HELP = (
    "Build a report (seasonal activity / individual history / camera summary PDF, detections or "
    "record-table CSV, Camtrap DP zip, capture histories for secr / MARK / camtrapR, logged "
    "similarity scores) synchronously and print where it was written."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", dest="report_type", required=True, choices=REPORT_TYPES,
                        help="what to export")  # fmt: skip
    parser.add_argument("--start", help="first day, ISO date (default: the first photo)")
    parser.add_argument("--end", help="last day, ISO date (default: the last photo)")
    parser.add_argument("--group-by", choices=GROUP_BY, help="period of the activity counts")
    parser.add_argument("--deployments", help="comma-separated deployment ids (default: all)")
    parser.add_argument("--independence-minutes", help="independence interval (default 30)")
    parser.add_argument(
        "--confirmed-only",
        action="store_true",
        help="count only identities a reviewer set (default: also automatic)",
    )
    parser.add_argument("--model", help="scores exports: only this embedding model's scores")
    parser.add_argument("--run", dest="run_id", help="scores exports: only this run's scores")
    parser.add_argument("--out", type=Path, help="output folder (default: DEERTRACK_EXPORT_DIR)")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    data: dict[str, object] = {"report_type": args.report_type}
    for key, value in (("start_date", args.start), ("end_date", args.end),
                       ("group_by", args.group_by),
                       ("independence_minutes", args.independence_minutes)):  # fmt: skip
        if value is not None:
            data[key] = value
    if args.confirmed_only:
        data["confirmed_only"] = True
    for key in ("model", "run_id"):
        if getattr(args, key, None):
            data[key] = getattr(args, key)
    if args.deployments:
        data["deployments"] = [d.strip() for d in args.deployments.split(",") if d.strip()]
    url = args.url or settings.database_url()
    db.require_schema(db.get_engine(url))
    with db.session_scope(url) as session:
        request = validate_export_request(data, session=session)

    from deertrack_core.reports.build import build_export

    with progress_bar(f"export {request.report_type}", enabled=not args.quiet) as bar:
        path = build_export(request, args.out or settings.export_dir(), url=url, progress=bar)
    print(path)
    return 0

"""deertrack abundance: population size with every estimator, with and without ID error."""

from __future__ import annotations

import argparse
import json

from deertrack_core import db, settings
from deertrack_core.analysis.occasions import ADJECTIVE
from deertrack_core.analysis.population import MAX_REPLICATES, REPLICATES, population_from_session
from deertrack_core.reports.request import GROUP_BY, validate_export_request

NAME = "abundance"
HELP = (
    "Estimate population size from the capture histories (M0, Mt, Mb, Mh2 by AICc, and the "
    "simple estimators), each with a sampling-only interval and one that carries the "
    "machine's identification error."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--occasion", choices=GROUP_BY, default="week",
                        help="length of a sampling occasion (default week)")  # fmt: skip
    parser.add_argument("--confirmed-only", action="store_true",
                        help="count only identities a reviewer set (default: also automatic)")  # fmt: skip
    parser.add_argument("--start", help="first day, ISO date (default: the first photo)")
    parser.add_argument("--end", help="last day, ISO date (default: the last photo)")
    parser.add_argument("--deployments", help="comma-separated deployment ids (default: all)")
    parser.add_argument("--replicates", type=int, default=REPLICATES,
                        help=f"identity draws for the ID-error interval (default {REPLICATES}, "
                             f"at most {MAX_REPLICATES})")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="random seed of the draws (0)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")


def run(args: argparse.Namespace) -> int:
    # The range, cameras and identity scope go through the same validation as an export.
    data: dict[str, object] = {"report_type": "seasonal_activity", "group_by": args.occasion,
                               "confirmed_only": args.confirmed_only}  # fmt: skip
    for key, value in (("start_date", args.start), ("end_date", args.end)):
        if value is not None:
            data[key] = value
    if args.deployments:
        data["deployments"] = [d.strip() for d in args.deployments.split(",") if d.strip()]
    if not 1 <= args.replicates <= MAX_REPLICATES:
        from deertrack_core.errors import ValidationError

        raise ValidationError({"replicates": f"--replicates must be 1 to {MAX_REPLICATES}"})
    url = args.url or settings.database_url()
    db.require_schema(db.get_engine(url))
    with db.session_scope(url) as session:
        request = validate_export_request(data, session=session)
        report = population_from_session(
            session, start=request.start_date, end=request.end_date,
            deployments=request.deployments, occasion=request.group_by,
            confirmed_only=request.confirmed_only, replicates=args.replicates, seed=args.seed,
        )  # fmt: skip
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, default=str))
        return 0
    print(text(report))
    return 0


def _left_out(report) -> str:
    parts = []
    if report.dropped_occasions:
        parts.append(f"{report.dropped_occasions} without cameras")
    if report.unidentified_occasions:
        parts.append(f"{report.unidentified_occasions} with deer photos but no counted identity")
    return f" ({' and '.join(parts)} left out)" if parts else ""


def _interval(lo, hi) -> str:
    return f"{lo:.1f} – {hi:.1f}" if lo is not None and hi is not None else "–"


def text(report) -> str:
    """The report as a plain-text table."""
    d = report.detections
    lines = [
        f"Population size, {report.start} to {report.end}, {report.occasions} "
        f"{ADJECTIVE[report.occasion]} occasions" + _left_out(report),
        f"Counting {report.identities}: {report.seen} deer in the capture history "
        f"(detections: {d['confirmed']} confirmed, {d['automatic']} automatic, "
        f"{d['proposed'] + d['unidentified']} proposed or not matched)",
    ]
    if report.machine_model:
        lines.append(f"Machine identities: {report.machine_model}")
    lines += ["", f"{'model':5} {'N':>7} {'sampling only':>17} {'with ID error':>24} {'ΔAICc':>7}"]
    for row in report.model_rows():
        est = f"{row['estimate']:.1f}" if row["estimate"] is not None else "–"
        s, i = row["sampling"], row["with_id_error"]
        aware = (f"{i['estimate']:.1f} ({_interval(i['lower'], i['upper'])})"
                 if i["estimate"] is not None else "–")  # fmt: skip
        delta = f"{row['delta_aicc']:.2f}" if row["delta_aicc"] is not None else "–"
        lines.append(f"{row['model']:5} {est:>7} {_interval(s['lower'], s['upper']):>17} "
                     f"{aware:>24} {delta:>7}  {row['note']}")  # fmt: skip
    lines.append("")
    for e in report.simple:
        est = f"{e.estimate:.1f}" if e.estimate is not None else "–"
        lines.append(f"{e.method:27} {est:>7} {_interval(e.lower, e.upper):>17}  {e.note}")
    lines += ["", f"ID error: {report.id_note}"]
    return "\n".join(lines)

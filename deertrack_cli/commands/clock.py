"""deertrack set-clock DEPLOYMENT_ID OFFSET_SECONDS: correct a camera's clock."""

from __future__ import annotations

import argparse

from deertrack_core import db, settings
from deertrack_core.ingest import set_clock_offset

NAME = "set-clock"
HELP = (
    "Set a deployment's clock offset in seconds (true time = camera time + offset) and re-time "
    "all its photos; the change is recorded in the audit log."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("deployment_id", type=int, help="deployment id")
    parser.add_argument(
        "offset_seconds",
        type=float,
        help="seconds to add to the camera's time (negative when the camera ran fast)",
    )
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--user", help="name for the audit log (default: DEERTRACK_USER or login)")


def run(args: argparse.Namespace) -> int:
    db.require_schema(db.get_engine(args.url))
    with db.session_scope(args.url) as session:
        n = set_clock_offset(
            session, args.deployment_id, args.offset_seconds, args.user or settings.current_user()
        )
    print(
        f"deployment {args.deployment_id}: clock offset {args.offset_seconds:g} s, {n} photos re-timed"
    )
    return 0

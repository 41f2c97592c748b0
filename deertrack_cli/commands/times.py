"""deertrack times: photos whose time is implausible, and their corrections."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from sqlalchemy import select

from deertrack_core import db, settings
from deertrack_core.auth import Actor
from deertrack_core.errors import ValidationError
from deertrack_core.ingest.plausible import (
    AMPM_UNSURE,
    confirm_ampm,
    set_deployment_span,
    set_photo_time,
)
from deertrack_core.models import Image

NAME = "times"
HELP = (
    "List the photos whose time is implausible (before 1990, in the future, outside their "
    "deployment, a data-bar reading out of file order; kept out of effort and activity), set "
    "a photo's true time (--photo ID --time T), declare a deployment's dates "
    "(--deployment ID --start D --end D), or confirm data-bar readings whose AM/PM was unsure "
    "(--confirm-ampm [IDS], --flip when they were read the wrong way round)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--photo", type=int, help="image id (from the list)")
    parser.add_argument("--time", help="the photo's true time, YYYY-MM-DD HH:MM:SS")
    parser.add_argument("--deployment", type=int, help="deployment id (deertrack set-clock --list)")
    parser.add_argument("--start", help="the deployment's first day, YYYY-MM-DD")
    parser.add_argument("--end", help="the deployment's last day, YYYY-MM-DD")
    parser.add_argument(
        "--confirm-ampm", nargs="?", const="all", metavar="IDS",
        help="confirm unsure AM/PM data-bar readings: comma-separated image ids, or all of them",
    )  # fmt: skip
    parser.add_argument(
        "--flip", action="store_true", help="with --confirm-ampm: swap AM and PM as you confirm"
    )
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--user", help="name for the audit log (default: DEERTRACK_USER or login)")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def _when(text: str | None, field: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError({field: f"{text!r} is not a date (YYYY-MM-DD[ HH:MM:SS])"}) from None


def _ids(text: str) -> list[int] | None:
    """Image ids from "12,13,20"; None for "all"."""
    if text.strip().lower() == "all":
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValidationError({"confirm-ampm": f"{text!r} is not a list of image ids"}) from None


def run(args: argparse.Namespace) -> int:
    url = args.url or settings.database_url()
    db.require_schema(db.get_engine(url))
    console = Actor.console(args.user or None)
    with db.session_scope(url) as session:
        if args.photo is not None:
            when = _when(args.time, "time")
            if when is None:
                raise ValidationError({"time": "give --time with --photo"})
            problem = set_photo_time(session, args.photo, when, actor=console)
            print(
                f"photo {args.photo}: {when:%Y-%m-%d %H:%M:%S}"
                + (f" ({problem})" if problem else "")
            )
        if args.deployment is not None:
            n = set_deployment_span(session, args.deployment, _when(args.start, "start"),
                                    _when(args.end, "end"), actor=console)  # fmt: skip
            print(f"deployment {args.deployment}: {n} photos outside its dates or implausible")
        if args.confirm_ampm:
            ids = _ids(args.confirm_ampm)
            if ids is None:
                ids = session.scalars(select(Image.id).where(Image.time_problem == AMPM_UNSURE))
            n = confirm_ampm(session, list(ids), flip=args.flip, actor=console)
            print(
                f"confirmed {n} data-bar readings"
                + (" with AM and PM swapped" if args.flip else "")
            )
        rows = session.execute(
            select(Image.id, Image.path, Image.captured_at, Image.time_source, Image.time_problem)
            .where(Image.time_problem.is_not(None))
            .order_by(Image.deployment_id, Image.path)
        ).all()
    if args.json:
        print(json.dumps([r._asdict() for r in rows], indent=2, default=str))
        return 0
    for r in rows:
        print(
            f"{r.id:>7}  {r.captured_at:%Y-%m-%d %H:%M:%S} ({r.time_source})  {r.time_problem}: {r.path}"
        )
    if not rows:
        print("no photo has an implausible time")
    return 0

"""deertrack repeats: boxes at the same place on many photos of a camera (suspected static)."""

from __future__ import annotations

import argparse
import json

from deertrack_core import db, settings
from deertrack_core.auth import Actor
from deertrack_core.detect import repeats

NAME = "repeats"
HELP = (
    "Find boxes that recur at the same place on many photos of one camera (stumps, rocks: "
    "suspected static objects), list them, confirm them (kept out of re-identification) or "
    "unflag them (a real animal)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--find", action="store_true", help="look for them (all deployments)")
    parser.add_argument("--min-photos", type=int, default=repeats.MIN_PHOTOS,
                        help=f"photos a box must recur on (default {repeats.MIN_PHOTOS})")  # fmt: skip
    parser.add_argument("--confirm", type=int, metavar="ID", help="confirm group ID as static")
    parser.add_argument("--unflag", type=int, metavar="ID", help="group ID is a real animal")
    parser.add_argument("--status", choices=repeats.STATUSES, help="list only these")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--user", help="name for the audit log (default: DEERTRACK_USER or login)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    url = args.url or settings.database_url()
    db.require_schema(db.get_engine(url))
    console = Actor.console(args.user or None)
    with db.session_scope(url) as session:
        if args.find:
            found = repeats.find_repeats(session, min_photos=args.min_photos)
            if not args.json:
                print(f"{len(found)} groups of recurring boxes")
        if args.confirm is not None:
            n = repeats.confirm_repeat(session, args.confirm, actor=console)
            print(f"group {args.confirm} confirmed static; {n} machine identities withdrawn")
        if args.unflag is not None:
            repeats.unflag_repeat(session, args.unflag, actor=console)
            print(f"group {args.unflag} unflagged: its boxes enter re-identification")
        views = repeats.list_repeats(session, args.status)
    if args.json:
        print(json.dumps([v.as_dict() for v in views], indent=2))
        return 0
    for v in views:
        x, y, w, h = v.box
        print(f"{v.id:>5}  {v.deployment:<24} {v.status:<10} {v.photos:>5} photos  "
              f"box x={x:.3f} y={y:.3f} w={w:.3f} h={h:.3f}")  # fmt: skip
    return 0

"""deertrack backup OUT: an online backup of the database (and optionally the photos)."""

from __future__ import annotations

import argparse
import json

from deertrack_core.auth import Actor
from deertrack_core.backup import backup
from deertrack_core.progress import progress_bar

NAME = "backup"
HELP = (
    "Back up the database online into the new folder OUT: every table in a portable form "
    "(restores into SQLite or PostgreSQL), the native copy (SQLite backup API / pg_dump), the "
    "settings, model files and a manifest of the photos with their sha256; --with-photos copies "
    "the photos too."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="a new (or empty) folder for the backup")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--with-photos", action="store_true", help="copy the photos as well")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")


def run(args: argparse.Namespace) -> int:
    with progress_bar("backup", enabled=not args.no_progress) as bar:
        summary = backup(
            args.out,
            url=args.url,
            with_photos=args.with_photos,
            actor=Actor.console(),
            progress=bar,
        )
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
        return 0
    print(
        f"backed up {sum(summary.rows.values())} rows of {len(summary.rows)} tables "
        f"({summary.kind}, schema {summary.revision}) into {summary.path}"
    )
    print(f"native copy: {summary.native or 'none'}")
    print(
        f"photos: {summary.photos} listed with sha256, {summary.photos_missing} not found, "
        f"{summary.photos_copied} copied"
    )
    for warning in summary.warnings:
        print(f"warning: {warning}")
    return 0

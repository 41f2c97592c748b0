"""deertrack restore IN: load a backup into an empty database (SQLite or PostgreSQL)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from deertrack_core.auth import Actor
from deertrack_core.backup import restore
from deertrack_core.progress import progress_bar

NAME = "restore"
HELP = (
    "Restore a backup made by `deertrack backup` into an EMPTY database of either kind (no "
    "tables, or freshly migrated); all or nothing, checked table by table against the backup."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("backup", help="the backup folder")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument(
        "--photos-to",
        type=Path,
        help="also copy the backup's photos under this folder (normally DEERTRACK_DATA_ROOT); "
        "existing files are never overwritten",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")


def run(args: argparse.Namespace) -> int:
    with progress_bar("restore", enabled=not args.no_progress) as bar:
        summary = restore(
            args.backup, url=args.url, photos_to=args.photos_to, actor=Actor.console(), progress=bar
        )
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
        return 0
    print(
        f"restored {sum(summary.rows.values())} rows of {len(summary.rows)} tables into "
        f"{summary.kind} (schema {summary.revision}"
        + (f", then migrated to {summary.upgraded_to})" if summary.upgraded_to else ")")
    )
    print("every table's row count and checksum match the backup")
    if args.photos_to:
        print(f"photos: {summary.photos_restored} restored, {summary.photos_skipped} skipped")
    return 0

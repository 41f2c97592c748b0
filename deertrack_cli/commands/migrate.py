"""deertrack migrate: bring the database schema to the latest revision."""

from __future__ import annotations

import argparse

from deertrack_core import migrate, settings

NAME = "migrate"
HELP = "Create or upgrade the database schema (SQLite or PostgreSQL) to the latest revision."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.add_argument("--downgrade", action="store_true", help="downgrade to --revision instead")


def run(args: argparse.Namespace) -> int:
    url = args.url or settings.database_url()
    if args.downgrade:
        migrate.downgrade(url, args.revision if args.revision != "head" else "-1")
    else:
        migrate.upgrade(url, args.revision)
    print(f"database at revision {migrate.current_revision(url)}")
    return 0

"""deertrack listen-check SERVER ADDRESS: may this server listen there? (for make run, systemd)."""

from __future__ import annotations

import argparse

from deertrack_core import auth

NAME = "listen-check"
HELP = (
    "Exit 0 when the dashboard or API may listen on ADDRESS, else print the fix and exit 2: "
    "beyond loopback only once user accounts exist (run it before starting a server)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("server", choices=("dashboard", "API"))
    parser.add_argument("address", help="the address it would bind, e.g. 127.0.0.1 or 0.0.0.0")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")


def run(args: argparse.Namespace) -> int:
    auth.check_listen(args.address, args.server, url=args.url)
    return 0

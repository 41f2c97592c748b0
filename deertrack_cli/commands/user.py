"""deertrack user add|list|set-role|disable|enable|set-password: the accounts of a lab server."""

from __future__ import annotations

import argparse
import getpass
import sys

from deertrack_core import auth, db
from deertrack_core.errors import ValidationError

NAME = "user"
HELP = (
    "Manage user accounts (roles: viewer, reviewer, admin). Passwords are read from a prompt, "
    "or from the first line of standard input when it is not a terminal."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="create a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in auth.ROLES])
    sub.add_parser("list", help="list the users")
    role = sub.add_parser("set-role", help="change a user's role")
    role.add_argument("name")
    role.add_argument("role", choices=[r.value for r in auth.ROLES])
    for action, text in (("disable", "a disabled user cannot sign in or use tokens"),
                         ("enable", "let a disabled user in again"),
                         ("set-password", "set a new password")):  # fmt: skip
        sub.add_parser(action, help=text).add_argument("name")


def read_password() -> str:
    """From a prompt (typed twice), or the first line of standard input when it is piped."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValidationError({"password": "the two passwords differ; type the same one twice"})
    return first


def run(args: argparse.Namespace) -> int:
    db.require_schema(db.get_engine(args.url))
    console = auth.Actor.console()
    with db.session_scope(args.url) as session:
        if args.action == "list":
            print(f"{'name':20} {'role':9} {'status':9} created")
            for u in auth.list_users(session):
                status = "disabled" if u.disabled else "active"
                print(f"{u.name:20} {u.role:9} {status:9} {u.created_at:%Y-%m-%d %H:%M}")
            return 0
        if args.action == "add":
            auth.add_user(session, args.name, args.role, read_password(), actor=console)
            print(f"user {args.name} added ({args.role})")
        elif args.action == "set-role":
            auth.set_role(session, args.name, args.role, actor=console)
            print(f"{args.name} is now a {args.role}")
        elif args.action in ("disable", "enable"):
            auth.set_disabled(session, args.name, args.action == "disable", actor=console)
            print(f"{args.name} {args.action}d")
        elif args.action == "set-password":
            auth.set_password(session, args.name, read_password(), actor=console)
            print(f"password of {args.name} changed")
    return 0

"""deertrack token create|list|revoke: per-user bearer tokens for the HTTP API."""

from __future__ import annotations

import argparse

from deertrack_core import auth, db, tokens

NAME = "token"
HELP = (
    "API tokens: `create NAME` prints a new token of user NAME once (only its hash is kept); "
    "`list [NAME]`; `revoke ID`."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="make a token for a user and print it once")
    create.add_argument("name", help="the user the token acts as")
    create.add_argument("--label", default="", help="what it is for (e.g. 'R scripts')")
    create.add_argument("--days", type=float, help="expire after this many days (default: never)")
    listing = sub.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("name", nargs="?", help="only this user's tokens")
    revoke = sub.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id", type=int, help="the token's id from `deertrack token list`")


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def run(args: argparse.Namespace) -> int:
    db.require_schema(db.get_engine(args.url))
    console = auth.Actor.console()
    with db.session_scope(args.url) as session:
        if args.action == "create":
            token, info = tokens.create_token(
                session, args.name, label=args.label, days=args.days, actor=console
            )
            print(token)
            print(
                f"(token {info.id} of {info.user}; shown only now: store it safely. "
                "Send it as the header 'Authorization: Bearer <token>')",
            )
        elif args.action == "list":
            print(f"{'id':>4}  {'user':16} {'prefix':11} {'status':8} {'last used':16} label")
            for t in tokens.list_tokens(session, args.name):
                status = "active" if t.active else ("revoked" if t.revoked_at else "expired")
                print(
                    f"{t.id:>4}  {t.user:16} {t.prefix:11} {status:8} "
                    f"{_when(t.last_used_at):16} {t.label}"
                )
        else:
            info = tokens.revoke_token(session, args.id, actor=console)
            print(f"token {info.id} of {info.user} revoked")
    return 0

"""deertrack models: list, promote and roll back fine-tuned model versions."""

from __future__ import annotations

import argparse

NAME = "models"
HELP = (
    "Model versions: list them with their before/after figures, promote one (re-embed, re-score "
    "and re-match with it), or roll back to the model before."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="every version, newest first")
    show = sub.add_parser("show", help="one version's training set and figures")
    show.add_argument("version", help="version name or 'latest'")
    promote = sub.add_parser("promote", help="make a version the active model")
    promote.add_argument("version", help="version name or 'latest'")
    sub.add_parser("rollback", help="return to the model (and threshold) active before")


def _held_out(v) -> str:
    from deertrack_cli.commands.train import _f

    split = v.metrics.get("identity_split") or v.metrics.get("time_split")
    if not split:
        return "no held-out figures"
    b, a = split["before"], split["after"]
    return f"rank-1 {_f(b['rank1'])}->{_f(a['rank1'])}, AUC {_f(b['roc_auc'])}->{_f(a['roc_auc'])}"


def run(args: argparse.Namespace) -> int:
    from deertrack_core import db
    from deertrack_core.progress import progress_bar
    from deertrack_core.reid import promote, versions

    if args.action in ("list", "show"):
        with db.session_scope(args.url) as session:
            rows = versions.list_versions(session)
            if args.action == "show":
                wanted = versions.get_version(session, args.version).name
                rows = [v for v in rows if v.name == wanted]
        if not rows:
            print("no model versions yet (deertrack train makes one)")
        for v in rows:
            mark = "*" if v.active else " "
            print(f"{mark} {v.name}  {v.created_at:%Y-%m-%d %H:%M}  {v.crops} crops of "
                  f"{v.identities} individuals  {_held_out(v)}")  # fmt: skip
            if args.action == "show":
                from deertrack_cli.commands.train import print_comparison

                print_comparison(v.metrics)
                print(f"  settings: {v.settings}")
        return 0
    from deertrack_core.auth import Actor

    with progress_bar(args.action) as bar:
        if args.action == "promote":
            s = promote.promote(args.url, args.version, actor=Actor.console(), progress=bar)
        else:
            s = promote.rollback(args.url, actor=Actor.console(), progress=bar)
    print(f"{s.action}: {s.previous_model} -> {s.model}, threshold {s.threshold:.3f} "
          f"({s.threshold_note})")  # fmt: skip
    m = s.match
    print(f"{s.embedded} detections embedded; {s.reset} machine decisions re-made: auto "
          f"{m.auto}, proposed {m.proposed}, new {m.new}")  # fmt: skip
    return 0

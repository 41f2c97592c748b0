"""Entry point of the ``deertrack`` command.

Each module in ``deertrack_cli/commands`` is one sub-command and defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules are found by listing the package, so a
new command is one new file. Errors from the library (``DeertrackError``) are printed without a
traceback: they already say what went wrong and what to do.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from deertrack_cli import commands
from deertrack_core.errors import DeertrackError


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deertrack",
        description="DeerTrack: trail-camera photos to reviewed sightings of individual deer.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args._run(args) or 0)
    except DeertrackError as exc:
        print(f"error: {exc.problem}", file=sys.stderr)
        if exc.fix:
            print(f"  fix: {exc.fix}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""deertrack worker: run background jobs (exports, backfill, matching, ingest)."""

from __future__ import annotations

import argparse

NAME = "worker"
HELP = "Run a worker that executes background jobs from the queue (Redis or embedded SQLite)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", type=int, default=1, help="jobs run at the same time (default: 1)"
    )


def run(args: argparse.Namespace) -> int:
    from jobs.main import run_worker

    run_worker(args.workers)
    return 0

"""deertrack jobs sweep: what every worker's watchdog does, once, by hand."""

from __future__ import annotations

import argparse

NAME = "jobs"
HELP = (
    "sweep: queue again (or fail) the jobs of dead workers, delete expired job records and "
    "export folders. Every running worker does this by itself; use it when none runs."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("sweep",))


def run(args: argparse.Namespace) -> int:
    from deertrack_core.jobstatus import get_store
    from jobs import config, recovery, watchdog

    config.configure()
    store = get_store()
    recovered = watchdog.recover_dead(store, recovery.requeue)
    records, files = watchdog.sweep(store)
    retried = sum(1 for _, outcome in recovered if outcome == "retried")
    print(
        f"jobs of dead workers: {retried} queued again, {len(recovered) - retried} failed; "
        f"expired: {records} job record(s), {files.folders} export folder(s) "
        f"({files.bytes_freed} bytes), {files.unfinished_files} file(s) of unfinished runs"
    )
    return 0

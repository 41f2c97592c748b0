"""Run a Huey consumer over the DeerTrack queue (what ``deertrack worker`` does)."""

from __future__ import annotations

import logging

from deertrack_core.errors import ConfigurationError
from jobs import config

log = logging.getLogger(__name__)


def build_consumer(workers: int = 1):
    """A consumer over the configured queue with ``workers`` worker threads.

    Threads, not processes: a task's heartbeat thread lives in the process that runs it, so a
    killed worker stops heartbeating and its job reads as failed.
    """
    config.configure()
    import jobs.tasks  # noqa: F401 - registers the tasks on the queue

    if config.huey.immediate:
        raise ConfigurationError(
            "DEERTRACK_HUEY_IMMEDIATE is set, so jobs run where they are enqueued.",
            "Unset DEERTRACK_HUEY_IMMEDIATE to run a worker.",
        )
    if workers < 1:
        raise ConfigurationError(f"--workers must be 1 or more (got {workers}).", "Use 1 or more.")
    return config.huey.create_consumer(
        workers=workers,
        worker_type="thread",
        initial_delay=0.1,
        backoff=1.15,
        max_delay=1.0,  # an idle SQLite queue is polled at least every second
        check_worker_health=True,
    )


def run_worker(workers: int = 1) -> None:
    """Block running a consumer until SIGINT/SIGTERM.

    The heartbeat sidecar is forked first, before the consumer starts any thread; then the
    watchdog (time limits, dead workers' jobs, expiry) starts beside the consumer.
    """
    from deertrack_core import settings
    from jobs import heartbeat, recovery, watchdog

    consumer = build_consumer(workers)
    heartbeat.sidecar = heartbeat.HeartbeatSidecar(settings.job_heartbeat_s(), workers).start()
    watchdog.current = watchdog.Watchdog(recovery.requeue).start()
    log.info("DeerTrack worker: %s, %d worker thread(s)", config.describe(), workers)
    try:
        consumer.run()
    finally:
        watchdog.current.stop()
        watchdog.current = None
        heartbeat.sidecar.stop()
        heartbeat.sidecar = None

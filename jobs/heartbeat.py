"""Heartbeats of running jobs, written from outside the thread that does the work.

A task's own thread cannot be trusted to heartbeat: native code such as vl-convert's chart
rendering holds the GIL for seconds, and a heartbeat *thread* in the same process then stalls
too. So a worker starts one :class:`HeartbeatSidecar`, a small forked process that beats for
every job the worker is running and exits as soon as the worker process is gone (killed with
SIGKILL included); the job's heartbeat then stops and readers see it as failed.

Where no sidecar runs (immediate mode, a task called directly), :class:`HeartbeatThread` is the
fallback.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing as mp
import os
import threading
import time
from typing import Any

from deertrack_core.jobstatus import JobStatusStore

log = logging.getLogger(__name__)


def _beat_loop(
    conn: Any, worker_end: Any, interval: float, parent_pid: int, worker_id: str, threads: int
) -> None:
    """The sidecar's body: beat for the worker and its running jobs until the worker goes away
    (then say so at once: its row or key is removed)."""
    from deertrack_core import db
    from deertrack_core.jobstatus import get_store
    from deertrack_core.jobstatus.workers import registry

    worker_end.close()  # so that the worker's exit (or kill) reads here as end of file

    # Engines inherited through fork share sockets with the worker; never touch them here.
    db._ENGINES.clear()  # noqa: SLF001
    db._MAKERS.clear()  # noqa: SLF001
    store = get_store()
    workers = registry()
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        _serve(conn, store, workers, interval, parent_pid, worker_id, threads, started)
    finally:
        try:
            workers.gone(worker_id)
        except Exception:  # noqa: BLE001 - its beat goes stale instead
            log.warning("could not sign worker %s off", worker_id, exc_info=True)


def _serve(conn, store, workers, interval, parent_pid, worker_id, threads, started) -> None:
    running: set[str] = set()
    next_beat = time.monotonic()
    while os.getppid() == parent_pid:
        try:
            if conn.poll(max(0.0, min(next_beat - time.monotonic(), 1.0))):
                op, job_id = conn.recv()
                if op == "begin":
                    running.add(job_id)
                else:
                    running.discard(job_id)
        except (EOFError, OSError):
            return  # the worker closed its end: it is gone
        if time.monotonic() >= next_beat:
            next_beat = time.monotonic() + interval
            try:
                workers.beat(worker_id, threads=threads, started_at=started)
            except Exception:  # noqa: BLE001 - a missed beat must not stop the job beats
                log.warning("heartbeat of worker %s failed", worker_id, exc_info=True)
            for job_id in list(running):
                try:
                    store.heartbeat(job_id)
                except Exception:  # noqa: BLE001 - keep beating for the others
                    log.warning("heartbeat of job %s failed", job_id, exc_info=True)


class HeartbeatSidecar:
    """One process per worker that heartbeats every job the worker has begun and not ended."""

    def __init__(self, interval: float, threads: int = 1) -> None:
        from deertrack_core.jobstatus.workers import this_worker

        ctx = mp.get_context("fork")
        self._conn, self._child_end = ctx.Pipe()
        self._lock = threading.Lock()
        self.worker_id = this_worker()
        self.process = ctx.Process(
            target=_beat_loop,
            args=(self._child_end, self._conn, interval, os.getpid(), self.worker_id, threads),
            name="deertrack-heartbeat",
            daemon=True,
        )

    def start(self) -> HeartbeatSidecar:
        self.process.start()
        self._child_end.close()
        return self

    def alive(self) -> bool:
        return self.process.is_alive()

    def _send(self, op: str, job_id: str) -> None:
        with self._lock:  # worker threads share one pipe
            self._conn.send((op, job_id))

    def begin(self, job_id: str) -> None:
        self._send("begin", job_id)

    def end(self, job_id: str) -> None:
        self._send("end", job_id)

    def stop(self) -> None:
        self._conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)


class HeartbeatThread:
    """Fallback: a daemon thread in the task's own process (stalls while native code holds the
    GIL, so ``DEERTRACK_JOB_STALE_S`` must exceed the longest such step)."""

    def __init__(self, store: JobStatusStore, job_id: str, interval: float) -> None:
        self.store, self.job_id, self.interval = store, job_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.store.heartbeat(self.job_id)
            except Exception:  # noqa: BLE001 - a missed beat must not kill the task
                log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


#: The running worker's sidecar (set by ``jobs.main.run_worker``).
sidecar: HeartbeatSidecar | None = None


class beating:  # noqa: N801 - used as a context manager, reads like one
    """``with beating(store, job_id, interval):`` keeps the job's heartbeat going."""

    def __init__(self, store: JobStatusStore, job_id: str, interval: float) -> None:
        self.job_id = job_id
        self.sidecar = sidecar if sidecar is not None and sidecar.alive() else None
        self.thread = None if self.sidecar else HeartbeatThread(store, job_id, interval)

    def __enter__(self) -> beating:
        if self.sidecar:
            self.sidecar.begin(self.job_id)
        else:
            self.thread.start()  # type: ignore[union-attr]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sidecar:
            self.sidecar.end(self.job_id)
        else:
            self.thread.stop()  # type: ignore[union-attr]

"""Heartbeats of running jobs, written from outside the thread that does the work.

A task's own thread cannot be trusted to heartbeat: native code such as vl-convert's chart
rendering holds the GIL for seconds, and a heartbeat *thread* in the same process then stalls
too. So a worker starts one :class:`HeartbeatSidecar`, a small forked process that beats for
every job the worker is running and exits as soon as the worker process is gone (killed with
SIGKILL included); the job's heartbeat then stops and readers see it as failed.

Beats name the job's attempt, so a run that lost the job (timed out, recovered elsewhere) stops
being beaten for. The sidecar is also the backstop of the time limit: the worker's own watchdog
(:mod:`jobs.watchdog`) fails a job that runs too long and restarts the worker, but a task stuck
in native code that never lets go of the interpreter stops that thread too; when a job is still
running :func:`grace_s` after its limit, the sidecar fails it and kills the worker.

Where no sidecar runs (immediate mode, a task called directly), :class:`HeartbeatThread` is the
fallback.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

from deertrack_core.jobstatus import JobStatusStore
from jobs import outage

log = logging.getLogger(__name__)


def grace_s(limit: float) -> float:
    """How long past its time limit a job may still run before the sidecar kills the worker."""
    return max(3.0, min(30.0, limit / 10))


def _kill_stuck_worker(store: JobStatusStore, job_id: str, job: tuple, parent_pid: int) -> None:
    from deertrack_core.jobstatus import policy

    attempt, kind, limit, _deadline = job
    try:
        store.fail(job_id, policy.timeout_message(limit, kind), attempt=attempt)
    finally:
        log.error(
            "job %s (%s) is still running %.0f s past its %.0f s limit and worker process %d "
            "does not respond (stuck in native code?): killing the worker. A service manager "
            "(systemd Restart=always) starts it again; its other jobs are retried elsewhere.",
            job_id,
            kind,
            grace_s(limit),
            limit,
            parent_pid,
        )
        os.kill(parent_pid, signal.SIGKILL)


def _beat(store: JobStatusStore, running: dict[str, tuple]) -> None:
    for job_id, (attempt, *_rest) in list(running.items()):
        try:
            if not store.heartbeat(job_id, attempt=attempt):
                running.pop(job_id, None)  # the job is no longer this run's
        except Exception as exc:  # noqa: BLE001 - keep beating for the others
            _missed("job", job_id, exc)


def _missed(what: str, name: str, exc: Exception) -> None:
    # The worker process reports an outage once; here it would repeat every beat.
    quiet = outage.service_of(exc) is not None
    log.log(
        logging.DEBUG if quiet else logging.WARNING,
        "heartbeat of %s %s failed: %s",
        what,
        name,
        exc,
        exc_info=not quiet,
    )


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
    # job id -> (attempt, kind, limit s, deadline on the monotonic clock or None)
    running: dict[str, tuple] = {}
    next_beat = time.monotonic()  # the worker's first beat at once: it shows as alive
    while os.getppid() == parent_pid:
        try:
            if conn.poll(max(0.0, min(next_beat - time.monotonic(), 1.0))):
                op, job_id, *job = conn.recv()
                if op == "begin":
                    attempt, kind, limit = job
                    deadline = time.monotonic() + limit + grace_s(limit) if limit else None
                    running[job_id] = (attempt, kind, limit, deadline)
                else:
                    running.pop(job_id, None)
        except (EOFError, OSError):
            return  # the worker closed its end: it is gone
        now = time.monotonic()
        for job_id, job in list(running.items()):
            if job[3] is not None and now >= job[3]:
                _kill_stuck_worker(store, job_id, job, parent_pid)
                return
        if now >= next_beat:
            next_beat = now + interval
            try:
                workers.beat(worker_id, threads=threads, started_at=started)
            except Exception as exc:  # noqa: BLE001 - a missed beat must not stop the job beats
                _missed("worker", worker_id, exc)
            _beat(store, running)


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

    def _send(self, *message: Any) -> None:
        with self._lock:  # worker threads share one pipe
            self._conn.send(message)

    def begin(
        self, job_id: str, attempt: int | None = None, kind: str = "", limit: float | None = None
    ) -> None:
        self._send("begin", job_id, attempt, kind, limit)

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

    def __init__(
        self, store: JobStatusStore, job_id: str, interval: float, attempt: int | None = None
    ) -> None:
        self.store, self.job_id, self.interval = store, job_id, interval
        self.attempt = attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self.store.heartbeat(self.job_id, attempt=self.attempt):
                    return  # the job is no longer this run's
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
    """``with beating(store, job_id, interval):`` keeps the job's heartbeat going (for run
    ``attempt`` of the job; with ``limit``, the sidecar ends a worker stuck past it)."""

    def __init__(
        self,
        store: JobStatusStore,
        job_id: str,
        interval: float,
        *,
        attempt: int | None = None,
        kind: str = "",
        limit: float | None = None,
    ) -> None:
        self.job_id, self.attempt, self.kind, self.limit = job_id, attempt, kind, limit
        self.sidecar = sidecar if sidecar is not None and sidecar.alive() else None
        self.thread = None if self.sidecar else HeartbeatThread(store, job_id, interval, attempt)

    def __enter__(self) -> beating:
        if self.sidecar:
            self.sidecar.begin(self.job_id, self.attempt, self.kind, self.limit)
        else:
            self.thread.start()  # type: ignore[union-attr]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sidecar:
            self.sidecar.end(self.job_id)
        else:
            self.thread.stop()  # type: ignore[union-attr]

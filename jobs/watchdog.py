"""The worker's watchdog: jobs always end, dead workers' jobs run again, old things go.

One thread per worker process (started by :func:`jobs.main.run_worker`) that, every second:

* fails a job of this worker that has run past its time limit (``DEERTRACK_JOB_TIMEOUT_S``,
  per kind ``DEERTRACK_JOB_TIMEOUTS``) and restarts the worker in place (``exec``), the only way
  to stop a thread that does not return; the worker's other running jobs are queued again first;
* every few seconds, recovers the jobs of workers that died (no heartbeat for
  ``DEERTRACK_JOB_STALE_S``): each is queued again for its next attempt, or failed after
  ``DEERTRACK_JOB_ATTEMPTS`` starts (one worker wins each job; see ``LifecycleStore.recover``);
  the partial file of the cut-off run is deleted first;
* every minute, deletes expired job records and export folders (:func:`sweep`).

Every worker runs one, so these happen while any worker is up; ``deertrack jobs sweep`` does
the last two once by hand.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, replace

from deertrack_core import settings
from deertrack_core.jobstatus import (
    PROCESSING,
    RETRIED,
    JobState,
    JobStatusStore,
    dead_worker_reason,
    get_store,
    policy,
)
from deertrack_core.jobstatus.expiry import SweepResult, clear_unfinished, sweep_exports
from deertrack_core.jobstatus.lifecycle import READ_FAILED_AFTER, now_utc
from jobs import heartbeat, outage

log = logging.getLogger(__name__)

TICK_S = 1.0
SWEEP_EVERY_S = 60.0

Requeue = Callable[[JobState], None]


@dataclass(frozen=True)
class Running:
    job_id: str
    attempt: int
    kind: str
    limit: float
    started: float  # time.monotonic()


def recover_dead(store: JobStatusStore, requeue: Requeue) -> list[tuple[str, str]]:
    """Queue again (or fail) every job whose worker died; returns (job id, outcome) pairs.

    A job silent for so long that readers already see it as failed (no worker was running to
    take it over: the whole queue was down) stays failed: someone may have queued it again."""
    done = []
    for job in store.dead():
        beat = job.heartbeat_at or job.started_at
        silent = (now_utc() - beat).total_seconds() if beat else store.stale_s
        late = silent > READ_FAILED_AFTER * store.stale_s
        reason = dead_worker_reason(silent)
        outcome = _recover(store, job, reason, requeue, silent=True, retry=not late)
        if outcome:
            done.append((job.id, outcome))
    return done


def _recover(
    store: JobStatusStore,
    job: JobState,
    reason: str,
    requeue: Requeue,
    *,
    silent: bool,
    retry: bool = True,
) -> str | None:
    outcome = store.recover(job, policy.max_attempts(), reason, silent=silent, retry=retry)
    if outcome is None:
        return None  # another worker got there first, or the job came back to life
    clear_unfinished(job.id)  # nothing runs it now: the next attempt starts clean
    if outcome == RETRIED:
        try:
            requeue(job)
        except Exception as exc:  # noqa: BLE001 - the record must not stay queued for nothing
            store.fail(job.id, f"{reason}; it could not be queued again: {exc}")
            log.warning("job %s could not be queued again: %s", job.id, exc)
            return None
    log.warning(
        "job %s (%s) attempt %d: %s; %s",
        job.id,
        job.kind,
        job.attempt,
        reason,
        f"queued again (attempt {job.attempt + 1})" if outcome == RETRIED else "failed",
    )
    return outcome


def sweep(store: JobStatusStore) -> tuple[int, SweepResult]:
    """Delete expired job records and export folders; returns (records, files) removed."""
    records = store.prune()
    files = sweep_exports(store, keep_s=store.keep_s)
    if records or files.folders or files.unfinished_files:
        log.info(
            "swept %d expired job record(s), %d export folder(s) (%d bytes), %d file(s) of unfinished runs",
            records,
            files.folders,
            files.bytes_freed,
            files.unfinished_files,
        )
    return records, files


def restart_worker() -> None:
    """Replace this worker process with a fresh copy of itself (same pid, same arguments)."""
    if heartbeat.sidecar is not None:
        heartbeat.sidecar.stop()
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


class Watchdog:
    """See the module docstring. ``requeue`` puts a recovered job back on the queue."""

    def __init__(
        self,
        requeue: Requeue,
        *,
        store: JobStatusStore | None = None,
        restart: Callable[[], None] = restart_worker,
    ) -> None:
        self.requeue, self.restart = requeue, restart
        self.store = store or get_store()
        self.running: dict[str, Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="deertrack-watchdog", daemon=True)
        beat, stale = settings.job_heartbeat_s(), self.store.stale_s
        self.recover_every = max(TICK_S, min(beat, stale / 3))

    def begin(self, job_id: str, attempt: int, kind: str, limit: float) -> None:
        with self._lock:
            self.running[job_id] = Running(job_id, attempt, kind, limit, time.monotonic())

    def end(self, job_id: str) -> None:
        with self._lock:
            self.running.pop(job_id, None)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        next_recover = next_sweep = time.monotonic()
        while not self._stop.wait(TICK_S):
            now = time.monotonic()
            try:
                self.check_time_limits()
                if now >= next_recover:
                    next_recover = now + self.recover_every
                    recover_dead(self.store, self.requeue)
                if now >= next_sweep:
                    next_sweep = now + SWEEP_EVERY_S
                    sweep(self.store)
            except Exception as exc:  # noqa: BLE001 - the watchdog must outlive any one failure
                service = outage.service_of(exc)
                if service is None:
                    log.exception("watchdog check failed; trying again in %.0f s", TICK_S)
                else:
                    self._stop.wait(outage.outage(service).failed(exc))
            else:
                outage.outage("redis" if settings.redis_url() else "database").ok()

    def check_time_limits(self) -> None:
        now = time.monotonic()
        with self._lock:
            late = [r for r in self.running.values() if now - r.started > r.limit]
        if late:
            self._time_out(late[0])

    def _time_out(self, job: Running) -> None:
        """Fail ``job``, queue this worker's other jobs again, and restart the worker."""
        self.store.fail(
            job.job_id, policy.timeout_message(job.limit, job.kind), attempt=job.attempt
        )
        clear_unfinished(job.job_id)
        log.error(
            "job %s (%s) attempt %d ran past its %.0f s limit: failed it; restarting this worker "
            "(pid %d) to stop it",
            job.job_id,
            job.kind,
            job.attempt,
            job.limit,
            os.getpid(),
        )
        with self._lock:
            others = [r for r in self.running.values() if r.job_id != job.job_id]
        reason = f"its worker restarted to stop job {job.job_id}, which had timed out"
        for other in others:
            state = self.store.get(other.job_id)  # with the parameters, to queue it again
            if state is not None:
                state = replace(state, status=PROCESSING, attempt=other.attempt)
                _recover(self.store, state, reason, self.requeue, silent=False)
        self.restart()


#: The running worker's watchdog (set by ``jobs.main.run_worker``).
current: Watchdog | None = None


@contextmanager
def watching(job_id: str, attempt: int, kind: str, limit: float):
    """Hold the time limit of a job run by this worker (nothing without a watchdog)."""
    dog = current
    if dog is None:
        yield
        return
    dog.begin(job_id, attempt, kind, limit)
    try:
        yield
    finally:
        dog.end(job_id)

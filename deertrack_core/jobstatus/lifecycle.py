"""The job life cycle, written once: each transition becomes a set of field updates.

``queued`` -> ``processing`` -> ``completed`` | ``failed``. A retry puts the job back to
``queued`` with ``attempt`` raised and a message saying so. A ``processing`` job whose heartbeat is
older than ``DEERTRACK_JOB_STALE_S`` reads as ``failed``: its worker died (killed, out of memory)
without being able to say so; a worker then :meth:`~LifecycleStore.recover` s it (queued again, or
failed after ``DEERTRACK_JOB_ATTEMPTS`` starts).

One run of a job holds it by its attempt number: :meth:`~LifecycleStore.claim` takes a queued job
atomically (two workers handed the same job: one runs it), and writes that pass ``attempt=`` land
only while the job is still ``processing`` under that attempt, so a run that lost the job (timed
out, recovered elsewhere) can no longer change it. Finished records expire after
``DEERTRACK_JOB_KEEP_S``; unfinished ones after a week.

:class:`LifecycleStore` turns every transition into fields and every read into a
:class:`JobState`; a store (:mod:`.sql`, :mod:`.redis`) only writes and reads those fields.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from deertrack_core.jobstatus.policy import (
    gave_up_message,
    late_message,
    retry_message,
    stale_message,
)

log = logging.getLogger(__name__)

QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"
STATUSES = (QUEUED, PROCESSING, COMPLETED, FAILED)
FINISHED = (COMPLETED, FAILED)
#: A finished job's record lives this long (seconds): Redis key TTL, SQL ``expires_at``.
FINISHED_TTL_S = 3600
#: Redis keys of a job that never finishes (never picked up) still go away eventually.
UNFINISHED_TTL_S = 7 * 24 * 3600

#: The fields a store keeps per job, and what the life cycle hands it: str, float, int,
#: timezone-aware UTC datetimes, JSON-ready dicts, or None.
FIELDS = (
    "id",
    "kind",
    "params",
    "status",
    "percent",
    "message",
    "error",
    "result_path",
    "result",
    "attempt",
    "created_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
)
TIME_FIELDS = ("created_at", "started_at", "finished_at", "heartbeat_at")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class JobState:
    """A snapshot of one job. Times are timezone-aware UTC."""

    id: str
    kind: str
    status: str
    percent: float = 0.0
    message: str = ""
    result_path: str | None = None
    error: str | None = None
    created_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    heartbeat_at: dt.datetime | None = None
    attempt: int = 1
    result: dict[str, Any] | None = None
    params: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO times)."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = value.isoformat() if isinstance(value, dt.datetime) else value
        return out


#: A silent job reads as failed after this many times ``stale_s``: before that, a running
#: worker has recovered it (queued it again) and a reader should not see a failure come and go.
READ_FAILED_AFTER = 2


def apply_staleness(state: JobState, *, now: dt.datetime, stale_s: float) -> JobState:
    """Return ``state`` as a reader should see it: a ``processing`` job whose worker went silent
    says so, and reads as failed once no worker has taken it over either."""
    if state.status != PROCESSING:
        return state
    beat = state.heartbeat_at or state.started_at
    if beat is None:
        return state
    silent = (now - beat).total_seconds()
    if silent <= stale_s:
        return state
    message = stale_message(silent)
    if silent <= READ_FAILED_AFTER * stale_s:
        return replace(state, message=message)
    return replace(state, status=FAILED, message=message, error=message)


def new_job_id() -> str:
    return uuid.uuid4().hex


#: What :meth:`LifecycleStore.recover` did with a job whose worker is gone.
RETRIED, GAVE_UP = "retried", "failed"


class JobStatusStore(Protocol):
    """What every job-status store does. Writes are immediate (each commits on its own).

    A write given ``attempt=`` lands only while the job is processing under that attempt and
    says whether it did."""

    def create(
        self, kind: str, params: dict[str, Any] | None = None, job_id: str | None = None
    ) -> JobState: ...

    def start(self, job_id: str, attempt: int = 1) -> None: ...

    def claim(self, job_id: str) -> JobState | None: ...

    def progress(
        self, job_id: str, percent: float, message: str = "", *, attempt: int | None = None
    ) -> bool: ...

    def heartbeat(self, job_id: str, *, attempt: int | None = None) -> bool: ...

    def retry(
        self,
        job_id: str,
        next_attempt: int,
        attempts: int,
        error: str,
        *,
        attempt: int | None = None,
    ) -> bool: ...

    def complete(
        self,
        job_id: str,
        result_path: str | None = None,
        result: dict[str, Any] | None = None,
        message: str = "done",
        *,
        attempt: int | None = None,
    ) -> bool: ...

    def fail(self, job_id: str, error: str, *, attempt: int | None = None) -> bool: ...

    def recover(
        self, job: JobState, attempts: int, reason: str, *, silent: bool = True, retry: bool = True
    ) -> str | None: ...

    def dead(self) -> list[JobState]: ...

    def prune(self) -> int: ...

    def get(self, job_id: str) -> JobState | None: ...

    def list_recent(self, limit: int = 20, kind: str | None = None) -> list[JobState]: ...


class LifecycleStore(ABC):
    """The life cycle on top of the storage operations a store implements.

    ``_insert`` writes a new job's fields, to go ``expire_in`` seconds later; ``_update`` changes
    some fields of a known job (an unknown one is logged and dropped) and, with ``expire_in``,
    lets the record go that many seconds later; ``_swap`` does the same atomically and only when
    the stored fields equal ``expect`` (and, given ``silent_before``, the job's last heartbeat is
    older), returning whether it did; ``_read`` and ``_recent`` return fields as the life cycle
    wrote them (never an expired record); ``_silent`` returns the processing jobs whose last
    heartbeat is older than ``before``; ``_prune`` deletes what has expired.
    """

    stale_s: float
    #: Seconds a finished record is kept (``DEERTRACK_JOB_KEEP_S``).
    keep_s: int = FINISHED_TTL_S

    @abstractmethod
    def _insert(self, job_id: str, fields: dict[str, Any], expire_in: int) -> None: ...

    @abstractmethod
    def _update(
        self, job_id: str, fields: dict[str, Any], expire_in: int | None = None
    ) -> None: ...

    @abstractmethod
    def _swap(
        self,
        job_id: str,
        fields: dict[str, Any],
        *,
        expect: Mapping[str, Any],
        silent_before: dt.datetime | None = None,
        expire_in: int | None = None,
    ) -> bool: ...

    @abstractmethod
    def _silent(self, before: dt.datetime) -> list[Mapping[str, Any]]: ...

    @abstractmethod
    def _prune(self, now: dt.datetime) -> int: ...

    @abstractmethod
    def _read(self, job_id: str) -> Mapping[str, Any] | None: ...

    @abstractmethod
    def _recent(self, limit: int, kind: str | None) -> list[Mapping[str, Any]]:
        """The newest jobs first (of ``kind`` when given), at most ``limit``."""

    # --- transitions ---------------------------------------------------------------------------

    def create(
        self, kind: str, params: dict[str, Any] | None = None, job_id: str | None = None
    ) -> JobState:
        job_id = job_id or new_job_id()
        self._insert(
            job_id,
            {
                "id": job_id,
                "kind": kind,
                "params": params,
                "status": QUEUED,
                "percent": 0.0,
                "message": "waiting for a worker",
                "attempt": 1,
                "created_at": now_utc(),
            },
            UNFINISHED_TTL_S,
        )
        return self.get(job_id)  # type: ignore[return-value]

    def start(self, job_id: str, attempt: int = 1) -> None:
        now = now_utc()
        self._update(
            job_id,
            {
                "status": PROCESSING,
                "attempt": attempt,
                "started_at": now,
                "heartbeat_at": now,
                "message": "started",
                "percent": 0.0,
            },
        )

    def claim(self, job_id: str) -> JobState | None:
        """Take the queued job ``job_id`` for running and return it (processing, with the
        attempt this run holds it by); ``None`` when it is not queued (another worker has it, it
        ended, its record is gone): then the caller must not run it."""
        fields = self._read(job_id)
        if fields is None or fields.get("status") != QUEUED:
            return None
        attempt = int(fields.get("attempt") or 1)
        now = now_utc()
        started = {
            "status": PROCESSING,
            "started_at": now,
            "heartbeat_at": now,
            "message": "started" if attempt == 1 else f"started (attempt {attempt})",
            "percent": 0.0,
        }
        taken = self._swap(job_id, started, expect={"status": QUEUED, "attempt": attempt})
        return self._snapshot({**fields, **started}) if taken else None

    def _write(
        self,
        job_id: str,
        fields: dict[str, Any],
        attempt: int | None,
        expire_in: int | None = None,
    ) -> bool:
        if attempt is None:
            self._update(job_id, fields, expire_in)
            return True
        held = {"status": PROCESSING, "attempt": attempt}
        if self._swap(job_id, fields, expect=held, expire_in=expire_in):
            return True
        log.info("job %s is no longer run by attempt %d here; write dropped", job_id, attempt)
        return False

    def progress(
        self, job_id: str, percent: float, message: str = "", *, attempt: int | None = None
    ) -> bool:
        fields = {"percent": float(percent), "message": message, "heartbeat_at": now_utc()}
        return self._write(job_id, fields, attempt)

    def heartbeat(self, job_id: str, *, attempt: int | None = None) -> bool:
        return self._write(job_id, {"heartbeat_at": now_utc()}, attempt)

    def retry(
        self,
        job_id: str,
        next_attempt: int,
        attempts: int,
        error: str,
        *,
        attempt: int | None = None,
    ) -> bool:
        message = retry_message(next_attempt, attempts, error)
        fields = {"status": QUEUED, "attempt": next_attempt, "message": message}
        return self._write(job_id, fields, attempt)

    def complete(
        self,
        job_id: str,
        result_path: str | None = None,
        result: dict[str, Any] | None = None,
        message: str = "done",
        *,
        attempt: int | None = None,
    ) -> bool:
        now = now_utc()
        fields = {
            "status": COMPLETED,
            "percent": 100.0,
            "message": message,
            "result_path": result_path,
            "result": result,
            "finished_at": now,
            "heartbeat_at": now,
        }
        return self._write(job_id, fields, attempt, self.keep_s)

    def fail(self, job_id: str, error: str, *, attempt: int | None = None) -> bool:
        # The error is a field of its own: a late progress write may change the message of a
        # failed job, never what it failed of.
        fields = {"status": FAILED, "message": error, "error": error, "finished_at": now_utc()}
        return self._write(job_id, fields, attempt, self.keep_s)

    # --- jobs whose worker is gone, and expiry ---------------------------------------------------

    def dead(self) -> list[JobState]:
        """Processing jobs without a heartbeat for longer than ``stale_s`` (as stored)."""
        before = now_utc() - dt.timedelta(seconds=self.stale_s)
        return [self._snapshot(fields) for fields in self._silent(before)]

    def recover(
        self, job: JobState, attempts: int, reason: str, *, silent: bool = True, retry: bool = True
    ) -> str | None:
        """Queue ``job`` (processing, its worker gone) for another attempt, or fail it once it
        has been started ``attempts`` times (or at once, without ``retry``). Atomic: returns
        :data:`RETRIED`, :data:`GAVE_UP`, or ``None`` when the job changed meanwhile (another
        worker recovered it, or, with ``silent``, its heartbeat came back). The caller puts a
        retried job back on the queue."""
        expect = {"status": PROCESSING, "attempt": job.attempt}
        before = now_utc() - dt.timedelta(seconds=self.stale_s) if silent else None
        if retry and job.attempt < attempts:
            fields = {
                "status": QUEUED,
                "attempt": job.attempt + 1,
                "message": retry_message(job.attempt + 1, attempts, reason),
            }
            swapped = self._swap(job.id, fields, expect=expect, silent_before=before)
            return RETRIED if swapped else None
        error = gave_up_message(reason, job.attempt) if retry else late_message(reason)
        fields = {"status": FAILED, "message": error, "error": error, "finished_at": now_utc()}
        swapped = self._swap(
            job.id, fields, expect=expect, silent_before=before, expire_in=self.keep_s
        )
        return GAVE_UP if swapped else None

    def prune(self) -> int:
        """Delete the records that have expired; returns how many went."""
        return self._prune(now_utc())

    # --- reads ---------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobState | None:
        fields = self._read(job_id)
        return self._state(fields) if fields is not None else None

    def list_recent(self, limit: int = 20, kind: str | None = None) -> list[JobState]:
        return [self._state(fields) for fields in self._recent(limit, kind)]

    def _state(self, f: Mapping[str, Any]) -> JobState:
        return apply_staleness(self._snapshot(f), now=now_utc(), stale_s=self.stale_s)

    def _snapshot(self, f: Mapping[str, Any]) -> JobState:
        """The fields as stored, before the staleness rule."""
        status = f.get("status") or QUEUED
        return JobState(
            id=f["id"],
            kind=f.get("kind") or "",
            status=status,
            percent=float(f.get("percent") or 0.0),
            message=f.get("message") or "",
            result_path=f.get("result_path") or None,
            # Records written before ``error`` was kept apart hold it in the message only.
            error=(f.get("error") or f.get("message") or "") if status == FAILED else None,
            created_at=f.get("created_at"),
            started_at=f.get("started_at"),
            finished_at=f.get("finished_at"),
            heartbeat_at=f.get("heartbeat_at"),
            attempt=int(f.get("attempt") or 1),
            result=f.get("result"),
            params=f.get("params"),
        )

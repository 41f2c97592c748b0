"""The job life cycle, written once: each transition becomes a set of field updates.

``queued`` -> ``processing`` -> ``completed`` | ``failed``. A retry puts the job back to
``queued`` with ``attempt`` raised and a message saying so. A ``processing`` job whose heartbeat is
older than ``DEERTRACK_JOB_STALE_S`` reads as ``failed``: its worker died (killed, out of memory)
without being able to say so.

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


def stale_message(seconds: float) -> str:
    return (
        f"worker stopped responding (no heartbeat for {seconds:.0f} s); "
        "restart the worker with `deertrack worker` and run the job again"
    )


def apply_staleness(state: JobState, *, now: dt.datetime, stale_s: float) -> JobState:
    """Return ``state`` as a reader should see it: a silent ``processing`` job reads as failed."""
    if state.status != PROCESSING:
        return state
    beat = state.heartbeat_at or state.started_at
    if beat is None:
        return state
    silent = (now - beat).total_seconds()
    if silent <= stale_s:
        return state
    message = stale_message(silent)
    return replace(state, status=FAILED, message=message, error=message)


def retry_message(next_attempt: int, attempts: int, error: str) -> str:
    return f"retrying (attempt {next_attempt} of {attempts}) after: {error}"


def new_job_id() -> str:
    return uuid.uuid4().hex


class JobStatusStore(Protocol):
    """What every job-status store does. Writes are immediate (each commits on its own)."""

    def create(
        self, kind: str, params: dict[str, Any] | None = None, job_id: str | None = None
    ) -> JobState: ...

    def start(self, job_id: str, attempt: int = 1) -> None: ...

    def progress(self, job_id: str, percent: float, message: str = "") -> None: ...

    def heartbeat(self, job_id: str) -> None: ...

    def retry(self, job_id: str, next_attempt: int, attempts: int, error: str) -> None: ...

    def complete(
        self,
        job_id: str,
        result_path: str | None = None,
        result: dict[str, Any] | None = None,
        message: str = "done",
    ) -> None: ...

    def fail(self, job_id: str, error: str) -> None: ...

    def get(self, job_id: str) -> JobState | None: ...

    def list_recent(self, limit: int = 20, kind: str | None = None) -> list[JobState]: ...


class LifecycleStore(ABC):
    """The life cycle on top of four storage operations a store implements.

    ``_insert`` writes a new job's fields; ``_update`` changes some fields of a known job (an
    unknown one is logged and dropped) and, with ``expire_in``, lets the record go that many
    seconds later; ``_read`` and ``_recent`` return fields as the life cycle wrote them.
    """

    stale_s: float

    @abstractmethod
    def _insert(self, job_id: str, fields: dict[str, Any]) -> None: ...

    @abstractmethod
    def _update(
        self, job_id: str, fields: dict[str, Any], expire_in: int | None = None
    ) -> None: ...

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

    def progress(self, job_id: str, percent: float, message: str = "") -> None:
        fields = {"percent": float(percent), "message": message, "heartbeat_at": now_utc()}
        self._update(job_id, fields)

    def heartbeat(self, job_id: str) -> None:
        self._update(job_id, {"heartbeat_at": now_utc()})

    def retry(self, job_id: str, next_attempt: int, attempts: int, error: str) -> None:
        message = retry_message(next_attempt, attempts, error)
        self._update(job_id, {"status": QUEUED, "attempt": next_attempt, "message": message})

    def complete(
        self,
        job_id: str,
        result_path: str | None = None,
        result: dict[str, Any] | None = None,
        message: str = "done",
    ) -> None:
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
        self._update(job_id, fields, expire_in=FINISHED_TTL_S)

    def fail(self, job_id: str, error: str) -> None:
        # The error is a field of its own: a late progress write may change the message of a
        # failed job, never what it failed of.
        fields = {"status": FAILED, "message": error, "error": error, "finished_at": now_utc()}
        self._update(job_id, fields, expire_in=FINISHED_TTL_S)

    # --- reads ---------------------------------------------------------------------------------

    def get(self, job_id: str) -> JobState | None:
        fields = self._read(job_id)
        return self._state(fields) if fields is not None else None

    def list_recent(self, limit: int = 20, kind: str | None = None) -> list[JobState]:
        return [self._state(fields) for fields in self._recent(limit, kind)]

    def _state(self, f: Mapping[str, Any]) -> JobState:
        status = f.get("status") or QUEUED
        state = JobState(
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
        return apply_staleness(state, now=now_utc(), stale_s=self.stale_s)

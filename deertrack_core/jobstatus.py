"""Job status: where everyone sees how far a background job got.

One protocol, :class:`JobStatusStore`, two implementations: :class:`SqlJobStatusStore` (the
``jobs`` table, for the embedded default) and :class:`RedisJobStatusStore` (a hash per job plus a
sorted-set index; keys expire one hour after the job ends). :func:`get_store` picks one from the
settings.

Life cycle: ``queued`` -> ``processing`` -> ``completed`` | ``failed``. A retry puts the job back to
``queued`` with ``attempt`` raised and a message saying so. A ``processing`` job whose heartbeat is
older than ``DEERTRACK_JOB_STALE_S`` reads as ``failed``: its worker died (killed, out of memory)
without being able to say so.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Protocol

from deertrack_core import settings

log = logging.getLogger(__name__)

QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"
STATUSES = (QUEUED, PROCESSING, COMPLETED, FAILED)
FINISHED = (COMPLETED, FAILED)
#: Redis keys of a finished job live this long (seconds).
FINISHED_TTL_S = 3600
#: Redis keys of a job that never finishes (never picked up) still go away eventually.
UNFINISHED_TTL_S = 7 * 24 * 3600


def _now() -> dt.datetime:
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


def retry_message(next_attempt: int, attempts: int, error: str) -> str:
    return f"retrying (attempt {next_attempt} of {attempts}) after: {error}"


def new_job_id() -> str:
    return uuid.uuid4().hex


#: Database URLs already seen to have the DeerTrack schema (checked once per process).
_SCHEMA_CHECKED: set[str] = set()


class SqlJobStatusStore:
    """Job status in the ``jobs`` table of the DeerTrack database."""

    def __init__(self, url: str | None = None, *, stale_s: float | None = None) -> None:
        self.url = url or settings.database_url()
        self.stale_s = stale_s if stale_s is not None else settings.job_stale_s()

    def _session(self):
        """A transaction on the database, which is checked once per process for the schema."""
        from deertrack_core import db

        if self.url not in _SCHEMA_CHECKED:
            db.require_schema(db.get_engine(self.url))
            _SCHEMA_CHECKED.add(self.url)
        return db.session_scope(self.url)

    def _update(self, job_id: str, **values: Any) -> None:
        from deertrack_core.models import Job

        with self._session() as session:
            job = session.get(Job, job_id)
            if job is None:
                log.warning("job %s is not in the jobs table; status update dropped", job_id)
                return
            for key, value in values.items():
                setattr(job, key, value)

    @staticmethod
    def _naive(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)

    def create(
        self, kind: str, params: dict[str, Any] | None = None, job_id: str | None = None
    ) -> JobState:
        from deertrack_core.models import Job

        job_id = job_id or new_job_id()
        now = self._naive(_now())
        with self._session() as session:
            session.add(
                Job(
                    id=job_id,
                    kind=kind,
                    params=params,
                    status=QUEUED,
                    percent=0.0,
                    message="waiting for a worker",
                    attempt=1,
                    created_at=now,
                )
            )
        return self.get(job_id)  # type: ignore[return-value]

    def start(self, job_id: str, attempt: int = 1) -> None:
        now = self._naive(_now())
        self._update(
            job_id,
            status=PROCESSING,
            attempt=attempt,
            started_at=now,
            heartbeat_at=now,
            message="started",
            percent=0.0,
        )

    def progress(self, job_id: str, percent: float, message: str = "") -> None:
        self._update(
            job_id, percent=float(percent), message=message, heartbeat_at=self._naive(_now())
        )

    def heartbeat(self, job_id: str) -> None:
        self._update(job_id, heartbeat_at=self._naive(_now()))

    def retry(self, job_id: str, next_attempt: int, attempts: int, error: str) -> None:
        self._update(
            job_id,
            status=QUEUED,
            attempt=next_attempt,
            message=retry_message(next_attempt, attempts, error),
        )

    def complete(
        self,
        job_id: str,
        result_path: str | None = None,
        result: dict[str, Any] | None = None,
        message: str = "done",
    ) -> None:
        now = self._naive(_now())
        self._update(
            job_id,
            status=COMPLETED,
            percent=100.0,
            message=message,
            result_path=result_path,
            result=result,
            finished_at=now,
            heartbeat_at=now,
            expires_at=now + dt.timedelta(seconds=FINISHED_TTL_S),
        )

    def fail(self, job_id: str, error: str) -> None:
        now = self._naive(_now())
        self._update(
            job_id,
            status=FAILED,
            message=error,
            finished_at=now,
            expires_at=now + dt.timedelta(seconds=FINISHED_TTL_S),
        )

    def _state(self, job: Any) -> JobState:
        def aware(value: dt.datetime | None) -> dt.datetime | None:
            return value.replace(tzinfo=dt.UTC) if value is not None else None

        state = JobState(
            id=job.id,
            kind=job.kind,
            status=job.status,
            percent=float(job.percent or 0.0),
            message=job.message or "",
            result_path=job.result_path,
            error=job.message if job.status == FAILED else None,
            created_at=aware(job.created_at),
            started_at=aware(job.started_at),
            finished_at=aware(job.finished_at),
            heartbeat_at=aware(job.heartbeat_at),
            attempt=job.attempt or 1,
            result=job.result,
            params=job.params,
        )
        return apply_staleness(state, now=_now(), stale_s=self.stale_s)

    def get(self, job_id: str) -> JobState | None:
        from deertrack_core.models import Job

        with self._session() as session:
            job = session.get(Job, job_id)
            return self._state(job) if job is not None else None

    def list_recent(self, limit: int = 20, kind: str | None = None) -> list[JobState]:
        from sqlalchemy import select

        from deertrack_core.models import Job

        query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
        if kind:
            query = query.where(Job.kind == kind)
        with self._session() as session:
            return [self._state(job) for job in session.scalars(query)]


class RedisJobStatusStore:
    """Job status in Redis: hash ``<prefix>job:<id>``, index ``<prefix>jobs`` (by creation time)."""

    def __init__(
        self, redis_url: str, *, prefix: str | None = None, stale_s: float | None = None
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url, decode_responses=True)
        self.prefix = prefix if prefix is not None else f"{settings.queue_name()}:"
        self.stale_s = stale_s if stale_s is not None else settings.job_stale_s()
        self.index = f"{self.prefix}jobs"

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def _set(self, job_id: str, ttl: int | None = None, **values: Any) -> None:
        key = self._key(job_id)
        if not self.client.exists(key):
            log.warning("job %s is not in Redis (expired?); status update dropped", job_id)
            return
        mapping = {k: "" if v is None else str(v) for k, v in values.items()}
        pipe = self.client.pipeline()
        pipe.hset(key, mapping=mapping)
        if ttl is not None:
            pipe.expire(key, ttl)
        pipe.execute()

    def create(
        self, kind: str, params: dict[str, Any] | None = None, job_id: str | None = None
    ) -> JobState:
        job_id = job_id or new_job_id()
        now = time.time()
        key = self._key(job_id)
        pipe = self.client.pipeline()
        pipe.hset(
            key,
            mapping={
                "id": job_id,
                "kind": kind,
                "status": QUEUED,
                "percent": "0",
                "message": "waiting for a worker",
                "attempt": "1",
                "created_at": repr(now),
                "params": json.dumps(params) if params is not None else "",
            },
        )
        pipe.expire(key, UNFINISHED_TTL_S)
        pipe.zadd(self.index, {job_id: now})
        pipe.execute()
        return self.get(job_id)  # type: ignore[return-value]

    def start(self, job_id: str, attempt: int = 1) -> None:
        now = repr(time.time())
        self._set(
            job_id,
            status=PROCESSING,
            attempt=attempt,
            started_at=now,
            heartbeat_at=now,
            message="started",
            percent=0.0,
        )

    def progress(self, job_id: str, percent: float, message: str = "") -> None:
        self._set(job_id, percent=float(percent), message=message, heartbeat_at=repr(time.time()))

    def heartbeat(self, job_id: str) -> None:
        self._set(job_id, heartbeat_at=repr(time.time()))

    def retry(self, job_id: str, next_attempt: int, attempts: int, error: str) -> None:
        self._set(
            job_id,
            status=QUEUED,
            attempt=next_attempt,
            message=retry_message(next_attempt, attempts, error),
        )

    def complete(
        self,
        job_id: str,
        result_path: str | None = None,
        result: dict[str, Any] | None = None,
        message: str = "done",
    ) -> None:
        now = repr(time.time())
        self._set(
            job_id,
            ttl=FINISHED_TTL_S,
            status=COMPLETED,
            percent=100.0,
            message=message,
            result_path=result_path,
            result=json.dumps(result) if result is not None else None,
            finished_at=now,
            heartbeat_at=now,
        )

    def fail(self, job_id: str, error: str) -> None:
        self._set(
            job_id,
            ttl=FINISHED_TTL_S,
            status=FAILED,
            message=error,
            error=error,
            finished_at=repr(time.time()),
        )

    def _state(self, raw: dict[str, str]) -> JobState:
        def moment(name: str) -> dt.datetime | None:
            value = raw.get(name)
            return dt.datetime.fromtimestamp(float(value), dt.UTC) if value else None

        def loads(name: str) -> Any:
            value = raw.get(name)
            return json.loads(value) if value else None

        status = raw.get("status", QUEUED)
        state = JobState(
            id=raw["id"],
            kind=raw.get("kind", ""),
            status=status,
            percent=float(raw.get("percent") or 0.0),
            message=raw.get("message", ""),
            result_path=raw.get("result_path") or None,
            error=(raw.get("error") or raw.get("message")) if status == FAILED else None,
            created_at=moment("created_at"),
            started_at=moment("started_at"),
            finished_at=moment("finished_at"),
            heartbeat_at=moment("heartbeat_at"),
            attempt=int(raw.get("attempt") or 1),
            result=loads("result"),
            params=loads("params"),
        )
        return apply_staleness(state, now=_now(), stale_s=self.stale_s)

    def get(self, job_id: str) -> JobState | None:
        raw = self.client.hgetall(self._key(job_id))
        return self._state(raw) if raw else None

    def list_recent(self, limit: int = 20, kind: str | None = None) -> list[JobState]:
        states: list[JobState] = []
        gone: list[str] = []
        start = 0
        batch = max(limit, 20)
        while len(states) < limit:
            ids = self.client.zrevrange(self.index, start, start + batch - 1)
            if not ids:
                break
            pipe = self.client.pipeline()
            for job_id in ids:
                pipe.hgetall(self._key(job_id))
            for job_id, raw in zip(ids, pipe.execute(), strict=True):
                if not raw:
                    gone.append(job_id)
                elif kind is None or raw.get("kind") == kind:
                    states.append(self._state(raw))
            start += batch
        if gone:  # expired hashes: drop them from the index too
            self.client.zrem(self.index, *gone)
        return states[:limit]


def get_store(url: str | None = None, redis_url: str | None = None) -> JobStatusStore:
    """The configured store: Redis when a Redis URL is given or set, else the SQL database."""
    redis_url = redis_url or settings.redis_url()
    if redis_url:
        return RedisJobStatusStore(redis_url)
    return SqlJobStatusStore(url)

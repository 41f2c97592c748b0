"""Worker heartbeats: which workers are alive, so a screen can say whether a queued job will run.

A worker's heartbeat sidecar (``jobs/heartbeat.py``) calls :meth:`beat` every
``DEERTRACK_JOB_HEARTBEAT_S`` seconds and :meth:`gone` on a clean stop; a worker that was killed
simply stops beating and is not counted once its last beat is older than
``DEERTRACK_JOB_STALE_S``. With Redis each worker is a key that expires; otherwise a row of the
``workers`` table.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Protocol

from deertrack_core import settings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkerBeat:
    id: str
    threads: int
    started_at: dt.datetime  # naive UTC
    beat_at: dt.datetime  # naive UTC

    def age_s(self, now: dt.datetime | None = None) -> float:
        return ((now or _now()) - self.beat_at).total_seconds()


class WorkerRegistry(Protocol):
    def beat(self, worker_id: str, *, threads: int, started_at: dt.datetime) -> None: ...
    def gone(self, worker_id: str) -> None: ...
    def alive(self) -> list[WorkerBeat]: ...


class SqlWorkers:
    def __init__(self, url: str | None = None, stale_s: float | None = None) -> None:
        self.url = url or settings.database_url()
        self.stale_s = stale_s if stale_s is not None else settings.job_stale_s()

    def beat(self, worker_id: str, *, threads: int, started_at: dt.datetime) -> None:
        from deertrack_core import db
        from deertrack_core.models import Worker

        with db.session_scope(self.url) as s:
            row = s.get(Worker, worker_id)
            if row is None:
                row = Worker(id=worker_id, queue=settings.queue_name(), started_at=started_at)
                s.add(row)
            row.threads, row.beat_at = threads, _now()

    def gone(self, worker_id: str) -> None:
        from sqlalchemy import delete

        from deertrack_core import db
        from deertrack_core.models import Worker

        with db.session_scope(self.url) as s:
            s.execute(delete(Worker).where(Worker.id == worker_id))

    def alive(self) -> list[WorkerBeat]:
        from sqlalchemy import select

        from deertrack_core import db
        from deertrack_core.models import Worker

        since = _now() - dt.timedelta(seconds=self.stale_s)
        with db.session_scope(self.url) as s:
            rows = s.scalars(
                select(Worker).where(Worker.beat_at >= since, Worker.queue == settings.queue_name())
            )
            return [WorkerBeat(w.id, w.threads, w.started_at, w.beat_at) for w in rows]


class RedisWorkers:
    def __init__(self, redis_url: str, stale_s: float | None = None) -> None:
        import redis

        from deertrack_core.jobstatus.redis import connection_options

        self.client = redis.Redis.from_url(
            redis_url, decode_responses=True, **connection_options()
        )
        self.prefix = f"{settings.queue_name()}:worker:"
        self.stale_s = stale_s if stale_s is not None else settings.job_stale_s()

    def beat(self, worker_id: str, *, threads: int, started_at: dt.datetime) -> None:
        key = self.prefix + worker_id
        pipe = self.client.pipeline()
        pipe.hset(key, mapping={"threads": threads, "started_at": started_at.isoformat(),
                                "beat_at": _now().isoformat()})  # fmt: skip
        pipe.expire(key, max(1, int(self.stale_s)))
        pipe.execute()

    def gone(self, worker_id: str) -> None:
        self.client.delete(self.prefix + worker_id)

    def alive(self) -> list[WorkerBeat]:
        out = []
        now = _now()
        for key in self.client.scan_iter(f"{self.prefix}*", count=100):
            h = self.client.hgetall(key)
            if h:
                out.append(WorkerBeat(
                    key[len(self.prefix):], int(h.get("threads", 1)),
                    dt.datetime.fromisoformat(h["started_at"]),
                    dt.datetime.fromisoformat(h["beat_at"]),
                ))  # fmt: skip
        return [w for w in out if w.age_s(now) <= self.stale_s]  # the key's TTL is whole seconds


def registry(url: str | None = None, redis_url: str | None = None) -> WorkerRegistry:
    """The registry beside the job status: Redis when configured, else the database."""
    redis_url = redis_url or settings.redis_url()
    return RedisWorkers(redis_url) if redis_url else SqlWorkers(url)

"""Job status: where everyone sees how far a background job got.

One protocol, :class:`JobStatusStore`, and one life cycle, :class:`LifecycleStore`
(:mod:`.lifecycle`), on two stores that only write and read fields:
:class:`~deertrack_core.jobstatus.sql.SqlJobStatusStore` (the ``jobs`` table, the embedded
default) and :class:`~deertrack_core.jobstatus.redis.RedisJobStatusStore` (a hash per job plus a
sorted-set index; keys expire one hour after the job ends). :func:`get_store` picks one from the
settings; the store modules are imported only when that store is built. How long jobs may run and
how often they are started: :mod:`.policy`; what expired jobs leave on disk: :mod:`.expiry`.
"""

from __future__ import annotations

from deertrack_core import settings
from deertrack_core.jobstatus.lifecycle import (
    COMPLETED,
    FAILED,
    FINISHED,
    FINISHED_TTL_S,
    GAVE_UP,
    PROCESSING,
    QUEUED,
    RETRIED,
    STATUSES,
    UNFINISHED_TTL_S,
    JobState,
    JobStatusStore,
    LifecycleStore,
    apply_staleness,
    new_job_id,
)
from deertrack_core.jobstatus.policy import dead_worker_reason, retry_message, stale_message

__all__ = [
    "COMPLETED",
    "FAILED",
    "FINISHED",
    "FINISHED_TTL_S",
    "GAVE_UP",
    "PROCESSING",
    "QUEUED",
    "RETRIED",
    "STATUSES",
    "UNFINISHED_TTL_S",
    "JobState",
    "JobStatusStore",
    "LifecycleStore",
    "apply_staleness",
    "dead_worker_reason",
    "get_store",
    "new_job_id",
    "retry_message",
    "stale_message",
]


def get_store(url: str | None = None, redis_url: str | None = None) -> JobStatusStore:
    """The configured store: Redis when a Redis URL is given or set, else the SQL database."""
    redis_url = redis_url or settings.redis_url()
    if redis_url:
        from deertrack_core.jobstatus.redis import RedisJobStatusStore

        return RedisJobStatusStore(redis_url)
    from deertrack_core.jobstatus.sql import SqlJobStatusStore

    return SqlJobStatusStore(url)

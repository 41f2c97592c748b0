"""The one Huey instance every producer and worker uses.

Redis when ``DEERTRACK_REDIS_URL`` is set, else an embedded SQLite queue at
``DEERTRACK_HUEY_PATH``; ``DEERTRACK_HUEY_IMMEDIATE=1`` runs each task synchronously when it is
enqueued (in-memory queue, no worker; for tests and debugging).

Tasks are registered on :data:`huey` at import time, so the instance is never replaced:
:func:`configure` re-points its storage instead (tests use it to get a queue of their own).

On Redis every connection has the timeouts of ``DEERTRACK_REDIS_TIMEOUT_S``, and a worker waits
out an outage with backoff and one message (:class:`GuardedRedisStorage`, :mod:`jobs.outage`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

from deertrack_core import settings
from jobs import outage

log = logging.getLogger(__name__)


class GuardedRedisStorage(RedisStorage):
    """RedisStorage whose polling (queue and schedule) waits out an outage quietly.

    Huey logs a traceback for each failed poll and polls again within a second; here a failed
    poll reports to this process's Redis :class:`~jobs.outage.Outage` (one message per outage),
    sleeps its backoff and reads as "nothing to do"."""

    def __init__(self, name: str = "huey", url: str | None = None, **kwargs) -> None:
        from redis import ConnectionPool

        from deertrack_core.jobstatus.redis import connection_options

        pool = ConnectionPool.from_url(url, **connection_options())
        # The blocking read must end well within the socket timeout, or every idle poll would
        # read as a hung Redis.
        read_timeout = max(0.1, min(1.0, settings.redis_timeout_s() / 2))
        super().__init__(name, connection_pool=pool, read_timeout=read_timeout, **kwargs)
        self.url = url

    def _guarded(self, read, empty):
        try:
            value = read()
        except outage.redis_errors() as exc:
            time.sleep(outage.outage("redis").failed(exc))
            return empty
        outage.outage("redis").ok()
        return value

    def dequeue(self):
        return self._guarded(super().dequeue, None)

    def read_schedule(self, timestamp):
        return self._guarded(lambda: super(GuardedRedisStorage, self).read_schedule(timestamp), [])


def _storage_options(redis_url: str | None, path: Path | None) -> tuple[type, dict]:
    redis_url = redis_url if redis_url is not None else settings.redis_url()
    if redis_url:
        return GuardedRedisStorage, {"url": redis_url}
    path = path or settings.huey_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteStorage, {"filename": str(path)}


def configure(
    *,
    name: str | None = None,
    redis_url: str | None = None,
    path: Path | None = None,
    immediate: bool | None = None,
) -> Huey:
    """Point :data:`huey` at the configured (or the given) queue; returns it.

    Arguments left out are read from the settings, so ``configure()`` re-reads the environment.
    """
    storage_class, options = _storage_options(redis_url, path)
    outage.reset()  # the services may have changed with the settings
    huey.name = name or settings.queue_name()
    huey.storage_class = storage_class
    huey.storage_kwargs = options
    # Leave immediate mode first, so the real storage is built for the new options.
    huey._immediate = False  # noqa: SLF001 - the setter would rebuild storage twice
    huey.storage = huey.create_storage()
    huey.immediate = settings.huey_immediate() if immediate is None else immediate
    log.debug(
        "job queue %r on %s%s",
        huey.name,
        storage_class.__name__,
        " (immediate)" if huey.immediate else "",
    )
    return huey


def describe() -> str:
    """Where the queue lives, in words (for logs and the worker banner)."""
    if huey.immediate:
        return f"queue {huey.name!r} in immediate mode (jobs run in the calling process)"
    if issubclass(huey.storage_class, RedisStorage):
        return f"queue {huey.name!r} on Redis {huey.storage_kwargs.get('url')}"
    return f"queue {huey.name!r} in SQLite file {huey.storage_kwargs.get('filename')}"


# results=False: callers read the job-status store, not Huey results (which never expire).
huey: Huey = Huey(
    settings.queue_name(), results=False, storage_class=SqliteStorage, filename=":memory:"
)
configure()

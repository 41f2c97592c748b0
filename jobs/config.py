"""The one Huey instance every producer and worker uses.

Redis when ``DEERTRACK_REDIS_URL`` is set, else an embedded SQLite queue at
``DEERTRACK_HUEY_PATH``; ``DEERTRACK_HUEY_IMMEDIATE=1`` runs each task synchronously when it is
enqueued (in-memory queue, no worker; for tests and debugging).

Tasks are registered on :data:`huey` at import time, so the instance is never replaced:
:func:`configure` re-points its storage instead (tests use it to get a queue of their own).
"""

from __future__ import annotations

import logging
from pathlib import Path

from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

from deertrack_core import settings

log = logging.getLogger(__name__)


def _storage_options(redis_url: str | None, path: Path | None) -> tuple[type, dict]:
    redis_url = redis_url if redis_url is not None else settings.redis_url()
    if redis_url:
        return RedisStorage, {"url": redis_url}
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
    if huey.storage_class is RedisStorage:
        return f"queue {huey.name!r} on Redis {huey.storage_kwargs.get('url')}"
    return f"queue {huey.name!r} in SQLite file {huey.storage_kwargs.get('filename')}"


# results=False: callers read the job-status store, not Huey results (which never expire).
huey: Huey = Huey(
    settings.queue_name(), results=False, storage_class=SqliteStorage, filename=":memory:"
)
configure()

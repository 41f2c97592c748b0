"""One clear message per outage of a service the worker needs, and backoff while it lasts.

Without this, every worker thread logged a traceback each time it polled a dead Redis (every
0.4 s). Now the first failure of an outage logs one warning that says what is unreachable and how
to fix it; later failures only wait, each time twice as long (up to :data:`MAX_WAIT_S`); the first
success logs one line saying the service is back and how long it was gone. One :class:`Outage`
per service and process, shared by all its threads (queue polling, scheduler, watchdog).
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)

FIRST_WAIT_S = 0.5
MAX_WAIT_S = 30.0


def redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError)


def _database_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import OperationalError

    return (OperationalError,)


def service_of(exc: BaseException) -> str | None:
    """``"redis"`` or ``"database"`` when ``exc`` says that service cannot be reached."""
    if isinstance(exc, redis_errors()):
        return "redis"
    if isinstance(exc, _database_errors()):
        return "database"
    return None


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown without its credentials
        return url.rsplit("@", 1)[-1]


class Outage:
    """Tracks whether a service is reachable; thread-safe."""

    def __init__(
        self, what: str, fix: str, *, first: float = FIRST_WAIT_S, cap: float = MAX_WAIT_S
    ) -> None:
        self.what, self.fix = what, fix
        self.first, self.cap = first, cap
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failures = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> float:
        """Record a failed use; returns how long the caller should wait before trying again."""
        with self._lock:
            if self._since is None:
                self._since = time.monotonic()
                log.warning(
                    "%s is unreachable (%s). This worker takes no jobs until it is back and "
                    "tries again after %.1f s, then less often, up to every %.0f s. Fix: %s",
                    self.what,
                    exc,
                    self.first,
                    self.cap,
                    self.fix,
                )
            wait = min(self.cap, self.first * 2**self._failures)
            self._failures += 1
            return wait

    def ok(self) -> None:
        """Record a successful use (logs once when it ends an outage)."""
        if self._since is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._since is None:
                return
            gone = time.monotonic() - self._since
            log.info(
                "%s is back after %.0f s (%d failed tries); the worker takes jobs again.",
                self.what,
                gone,
                self._failures,
            )
            self._since, self._failures = None, 0


_OUTAGES: dict[str, Outage] = {}
_LOCK = threading.Lock()


def outage(service: str) -> Outage:
    """This process's :class:`Outage` of ``service`` (``redis`` or ``database``)."""
    from deertrack_core import settings

    with _LOCK:
        if service not in _OUTAGES:
            if service == "redis":
                where = _hide_password(settings.redis_url() or "redis://127.0.0.1:6379/0")
                _OUTAGES[service] = Outage(
                    f"Redis at {where}",
                    "start Redis (e.g. systemctl start redis-server) or correct "
                    "DEERTRACK_REDIS_URL; check the firewall when it runs on another host",
                )
            else:
                where = _hide_password(settings.database_url())
                _OUTAGES[service] = Outage(
                    f"The database {where}",
                    "start the database server (e.g. systemctl start postgresql) or correct "
                    "DEERTRACK_DATABASE_URL",
                )
        return _OUTAGES[service]


def reset() -> None:
    """Forget every outage (the settings changed; tests)."""
    with _LOCK:
        _OUTAGES.clear()

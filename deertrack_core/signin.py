"""Signing in to the dashboard, with failed attempts throttled per user name and per client.

:func:`sign_in` wraps :func:`deertrack_core.auth.sign_in`: after ``FREE_FAILURES`` failed
attempts for the same user name, or from the same client address, within ``WINDOW_S``, further
attempts for that name or client are refused without checking the password for ``LOCK_S``
seconds, doubling with each further failure up to ``MAX_LOCK_S``. A successful sign-in clears
the name's count (not the client's: one client guessing many names stays throttled).

The counts live in this process (the dashboard is one process; a restart forgets them, which an
attacker cannot cause from the sign-in form). Time is passed in (``now``), so tests need no
sleeping.

A sign-in lasts beyond the browser tab's session: :func:`start_session` makes a token (an API
token labelled :data:`SESSION_LABEL`, stored hashed, expiring after :data:`SESSION_DAYS`, its
creation audited) that the dashboard keeps in a cookie; :func:`resume` turns it back into the
user on a reload (re-reading the role; a disabled user is refused) and :func:`end_session`
revokes it on sign-out.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from deertrack_core import auth, tokens
from deertrack_core.errors import AuthenticationError

FREE_FAILURES = 5
WINDOW_S = 15 * 60.0
LOCK_S = 5 * 60.0
MAX_LOCK_S = 60 * 60.0
#: A dashboard sign-in lasts this long (a working day) unless the user signs out.
SESSION_DAYS = 0.5
SESSION_LABEL = "dashboard sign-in"


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class Throttle:
    """Failed sign-ins per key ("user:NAME", "client:ADDRESS")."""

    def __init__(self) -> None:
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def wait_s(self, keys: list[str], now: float) -> float:
        """Seconds until every key may try again (0: now)."""
        with self._lock:
            return max(
                [max(0.0, r.locked_until - now) for k in keys if (r := self._records.get(k))]
                + [0.0]
            )

    def failed(self, keys: list[str], now: float) -> None:
        with self._lock:
            for key in keys:
                record = self._records.setdefault(key, _Record())
                record.failures = [t for t in record.failures if now - t < WINDOW_S] + [now]
                extra = len(record.failures) - FREE_FAILURES
                if extra >= 0:
                    record.locked_until = now + min(LOCK_S * 2**extra, MAX_LOCK_S)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


THROTTLE = Throttle()


def _keys(name: str, client: str) -> list[str]:
    return [f"user:{name.strip().lower()}", f"client:{client or 'unknown'}"]


def sign_in(
    session: Session,
    name: str,
    password: str,
    *,
    client: str = "",
    now: float | None = None,
    throttle: Throttle = THROTTLE,
) -> auth.Actor:
    """The actor for a name and password, or ``AuthenticationError`` (the same message for
    every wrong name or password; a throttled attempt says how long to wait)."""
    now = time.monotonic() if now is None else now
    keys = _keys(name, client)
    wait = throttle.wait_s(keys, now)
    if wait > 0:
        raise AuthenticationError(
            f"Too many failed sign-ins: try again in {max(1, round(wait / 60))} minute(s).",
            "Check the user name and password; an admin can set a new password "
            "(deertrack user set-password NAME).",
        )
    try:
        actor = auth.sign_in(session, name, password)
    except AuthenticationError:
        throttle.failed(keys, now)
        raise
    throttle.succeeded(keys[0])
    return actor


def start_session(session: Session, actor: auth.Actor) -> str:
    """A token that keeps ``actor`` signed in for :data:`SESSION_DAYS` (shown only now); the
    user's expired or revoked dashboard sign-ins are deleted, so they do not pile up."""
    tokens.prune(session, actor.name, SESSION_LABEL)
    token, _ = tokens.create_token(
        session, actor.name, label=SESSION_LABEL, days=SESSION_DAYS, actor=actor
    )
    return token


def resume(session: Session, token: str) -> auth.Actor:
    """The user a dashboard sign-in token belongs to, with their role as it is now;
    ``AuthenticationError`` when it is unknown, expired, revoked or the user is disabled."""
    return tokens.actor_for_token(session, token)


def end_session(session: Session, token: str, actor: auth.Actor) -> None:
    """Sign out: the token no longer signs anyone in."""
    tokens.revoke_value(session, token, actor=actor)

"""API tokens: per-user bearer tokens for scripts, stored hashed, shown once.

A token is ``dt_`` plus 43 URL-safe characters (256 random bits). Only its SHA-256 is stored:
with that much randomness nobody can guess one back from the hash, and a fast hash keeps every
API request cheap (argon2 would cost each request tens of milliseconds and 64 MiB). The first
characters are kept as ``prefix`` so a person can tell their tokens apart in a list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from deertrack_core.auth import ADMIN, VIEWER, Actor, get_user, require
from deertrack_core.errors import AuthenticationError, NotFoundError, ValidationError
from deertrack_core.models import ApiToken, Correction, User

PREFIX = "dt_"
PREFIX_CHARS = 10
MAX_TOKEN_CHARS = 128
#: last_used_at is written at most this often per token (not on every request).
TOUCH_EVERY = dt.timedelta(minutes=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    label: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > _now())


def _audit(session: Session, actor: Actor, row: ApiToken, field: str, new: str) -> None:
    session.add(
        Correction(
            entity="api_token",
            entity_id=row.id,
            field=field,
            old_value=None,
            new_value=new,
            action=f"token_{field}",
            action_id=uuid.uuid4().hex,
            changed_by=actor.name,
        )
    )


def create_token(
    session: Session,
    user_name: str,
    *,
    label: str = "",
    days: float | None = None,
    actor: Actor | None = None,
) -> tuple[str, TokenInfo]:
    """Make a token for ``user_name``; returns it (the only time it is seen) and its record.

    Admins make tokens for anyone; a signed-in user may make their own.
    """
    own = actor is not None and actor.kind == "user" and actor.name == user_name
    actor = require(session, actor, VIEWER if own else ADMIN, "create API tokens")
    user = get_user(session, user_name)
    if user.disabled:
        raise ValidationError({"user": f"{user_name} is disabled; enable the account first"})
    if days is not None and not 0 < days <= 3660:
        raise ValidationError({"days": "a token lives 1 to 3660 days (or leave it out: no expiry)"})
    if len(label) > 100:
        raise ValidationError({"label": "a label has at most 100 characters"})
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        label=label,
        prefix=token[:PREFIX_CHARS],
        token_hash=_digest(token),
        expires_at=_now() + dt.timedelta(days=days) if days else None,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, row, "created", f"for {user.name} ({row.prefix}…)")
    return token, _info(row, user.name)


def _info(row: ApiToken, user: str) -> TokenInfo:
    return TokenInfo(
        row.id,
        user,
        row.label,
        row.prefix,
        row.created_at,
        row.expires_at,
        row.last_used_at,
        row.revoked_at,
    )


def list_tokens(session: Session, user_name: str | None = None) -> list[TokenInfo]:
    query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
    if user_name:
        query = query.where(User.name == user_name)
    return [_info(row, name) for row, name in session.execute(query.order_by(ApiToken.id))]


def revoke_token(session: Session, token_id: int, *, actor: Actor | None = None) -> TokenInfo:
    """Revoke a token at once (admins any, a user their own)."""
    found = session.execute(
        select(ApiToken, User.name)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == token_id)
    ).one_or_none()
    if found is None:
        raise NotFoundError(f"There is no token {token_id}.", "See `deertrack token list`.")
    row, owner = found
    own = actor is not None and actor.kind == "user" and actor.name == owner
    actor = require(session, actor, VIEWER if own else ADMIN, "revoke API tokens")
    if row.revoked_at is None:
        row.revoked_at = _now()
        _audit(session, actor, row, "revoked", f"of {owner} ({row.prefix}…)")
        session.flush()
    return _info(row, owner)


def _find(session: Session, token: str) -> tuple[ApiToken, User] | None:
    """The record of token value ``token`` and its user; ``None`` for a malformed or unknown
    one. The lookup is by a hash of the whole token: timing says nothing about its characters."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(token))
    ).one_or_none()
    return None if found is None else (found[0], found[1])


def revoke_value(session: Session, token: str, *, actor: Actor | None = None) -> None:
    """Revoke the token whose value is ``token`` (signing out); an unknown one is ignored."""
    if (found := _find(session, token)) is not None:
        revoke_token(session, found[0].id, actor=actor)


def prune(session: Session, user_name: str, label: str) -> int:
    """Delete ``user_name``'s tokens labelled ``label`` that are expired or revoked (their
    audit entries stay); how many."""
    rows = session.scalars(
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(User.name == user_name, ApiToken.label == label)
        .where((ApiToken.revoked_at.is_not(None)) | (ApiToken.expires_at <= _now()))
    ).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def actor_for_token(session: Session, token: str) -> Actor:
    """The user a bearer token belongs to; ``AuthenticationError`` for any bad token."""
    bad = AuthenticationError(
        "The API token is unknown, revoked or expired, or its user is disabled.",
        "Ask an admin for a new token (`deertrack token create NAME`).",
    )
    if (found := _find(session, token)) is None:
        raise bad
    row, user = found
    now = _now()
    if row.revoked_at is not None or (row.expires_at and row.expires_at <= now) or user.disabled:
        raise bad
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        row.last_used_at = now
    return Actor.user(user.name, user.role)

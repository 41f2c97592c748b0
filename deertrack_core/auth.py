"""Who may do what: users, roles, the acting principal, and where servers may listen.

Roles are ordered: a **viewer** reads and exports; a **reviewer** also reviews detections and
edits individuals; an **admin** also imports, detects, trains, applies thresholds, runs
re-identification jobs and manages users.

Every core write takes an ``actor`` and calls :func:`require` itself, so the dashboard, the API,
the CLI and the worker are held to one rule::

    def set_clock_offset(session, deployment_id, offset_s, *, actor=None):
        actor = auth.require(session, actor, auth.ADMIN, "change a camera's clock")
        ... changed_by=actor.name ...

An :class:`Actor` is one of three kinds:

* ``user``: someone signed in to the dashboard or holding an API token. :func:`require` reads the
  user again on every action, so a disabled user or a lowered role takes effect at once.
* ``local``: the laptop mode. While **no user account exists** (and the servers listen on
  loopback only, which :func:`check_listen` enforces), the person at the machine is an implicit
  admin named by ``DEERTRACK_USER`` or the login. ``actor=None`` means this; once a user exists it
  is refused, so a page or script that names nobody cannot write.
* ``console``: the ``deertrack`` CLI on the server. Whoever can run it holds the database URL and
  could change the tables directly, so it acts as an admin, under their login name.

Passwords are hashed with argon2id (argon2-cffi). API tokens are 256-bit random strings, so a
SHA-256 of them is what is stored (a slow hash would only slow every API request down): see
:mod:`deertrack_core.tokens`.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from deertrack_core import settings
from deertrack_core.errors import (
    AuthenticationError,
    ConfigurationError,
    DatabaseNotReadyError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from deertrack_core.models import Correction, User


class Role(enum.StrEnum):
    VIEWER = "viewer"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ROLES.index(self)


ROLES: tuple[Role, ...] = (Role.VIEWER, Role.REVIEWER, Role.ADMIN)
VIEWER, REVIEWER, ADMIN = ROLES
KINDS = ("user", "local", "console")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 would hash a megabyte; nobody types one


@dataclass(frozen=True)
class Actor:
    """Who is acting: a name for the audit log, a role, and how they got here (``kind``)."""

    name: str
    role: Role
    kind: str = "user"

    @classmethod
    def user(cls, name: str, role: str | Role) -> Actor:
        return cls(name, _role(role), "user")

    @classmethod
    def local(cls, name: str | None = None) -> Actor:
        """The implicit admin of the laptop mode (valid only while no user account exists)."""
        return cls(name or settings.current_user(), ADMIN, "local")

    @classmethod
    def console(cls, name: str | None = None) -> Actor:
        """The CLI on the server: an admin named by ``DEERTRACK_USER`` or the login."""
        return cls(name or settings.current_user(), ADMIN, "console")

    def may(self, role: str | Role) -> bool:
        return self.role.rank >= _role(role).rank

    @property
    def confined(self) -> bool:
        """Paths from this actor must lie under DEERTRACK_DATA_ROOT (they came through a server)."""
        return self.kind == "user"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role.value, "kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Actor | None:
        """The actor a job was queued by (``None`` when the job names nobody)."""
        if not data:
            return None
        kind = data.get("kind", "user")
        if kind not in KINDS:
            raise ValidationError({"actor": f"unknown actor kind {kind!r}"})
        return cls(str(data["name"]), _role(data["role"]), kind)


def _role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(
            {"role": f"{value!r} is not a role; choose one of {', '.join(ROLES)}"}
        ) from None


# --- the check every core write makes ---------------------------------------------------------

_USERS_TABLE_SEEN: set[str] = set()


def users_exist(session: Session) -> bool:
    """True once any user account exists (disabled ones count: the laptop mode is over)."""
    url = session.get_bind().url.render_as_string(hide_password=True)
    if url not in _USERS_TABLE_SEEN:
        if not inspect(session.connection()).has_table("users"):
            raise DatabaseNotReadyError(
                "The database has no users table (it predates accounts and roles).",
                "Run `deertrack migrate`.",
            )
        _USERS_TABLE_SEEN.add(url)
    return session.scalar(select(User.id).limit(1)) is not None


def require(
    session: Session, actor: Actor | None, role: str | Role, action: str, *, name: str = ""
) -> Actor:
    """Return the actor allowed to do ``action`` (which needs ``role``), or raise.

    ``actor=None`` is the laptop mode's implicit admin (named ``name`` or by the login) and is
    refused once a user account exists. A ``user`` actor is read again from the database: a
    disabled or deleted user is refused and the role is the current one. Raises
    ``AuthenticationError`` (nobody valid is acting) or ``PermissionDeniedError`` (the role is
    too low), each naming the fix.
    """
    needed = _role(role)
    if actor is None or actor.kind == "local":
        if users_exist(session):
            raise AuthenticationError(
                f"To {action} you must be signed in: this DeerTrack has user accounts.",
                "Sign in on the dashboard, send your API token (Authorization: Bearer ...), or "
                "run the deertrack command on the server.",
            )
        return actor or Actor.local(name or None)
    if actor.kind == "user":
        user = session.scalars(select(User).where(User.name == actor.name)).one_or_none()
        if user is None or user.disabled:
            raise AuthenticationError(
                f"User {actor.name!r} is {'disabled' if user else 'unknown'}.",
                "Ask an admin to enable the account (deertrack user enable NAME).",
            )
        actor = replace(actor, role=Role(user.role))
    if not actor.may(needed):
        raise PermissionDeniedError(
            f"{actor.name} is a {actor.role}; to {action} needs the {needed} role.",
            f"Ask an admin to run `deertrack user set-role {actor.name} {needed}`, or sign in as "
            f"a {needed}.",
        )
    return actor


def require_url(
    url: str | None, actor: Actor | None, role: str | Role, action: str, *, name: str = ""
) -> Actor:
    """:func:`require` in a session of its own, for actions that open their own transactions."""
    from deertrack_core import db

    with db.session_scope(url) as session:
        return require(session, actor, role, action, name=name)


# --- jobs: who queued them, who may see them -------------------------------------------------

#: Keys added to a job's recorded parameters (not to what the task receives).
REQUESTED_BY, REQUESTED_VIA = "requested_by", "requested_via"


def job_owner(actor: Actor) -> dict[str, str]:
    """What a job record keeps of who queued it."""
    return {REQUESTED_BY: actor.name, REQUESTED_VIA: actor.kind}


def may_see_job(actor: Actor, params: dict[str, Any] | None) -> bool:
    """Admins see every job; everyone else only the jobs they queued themselves (a viewer
    cannot read other people's exports or follow their work)."""
    if actor.may(ADMIN):
        return True
    params = params or {}
    return params.get(REQUESTED_BY) == actor.name and params.get(REQUESTED_VIA) == actor.kind


# --- users ------------------------------------------------------------------------------------


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current (RFC 9106) parameters


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            {"password": f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters"}
        )


def _check_name(name: str) -> None:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise ValidationError(
            {
                "name": f"{name!r} is not a user name: use up to 64 letters, digits and . _ @ -, "
                "starting with a letter or digit"
            }
        )


def get_user(session: Session, name: str) -> User:
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None:
        raise NotFoundError(f"There is no user {name!r}.", "List them with `deertrack user list`.")
    return user


def _audit(session: Session, actor: Actor, user: User, field: str, old: Any, new: Any) -> None:
    session.add(
        Correction(
            entity="user",
            entity_id=user.id,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            action=f"user_{field}",
            action_id=uuid.uuid4().hex,
            changed_by=actor.name,
        )
    )


def add_user(
    session: Session, name: str, role: str | Role, password: str, *, actor: Actor | None = None
) -> User:
    """Create a user (admins only; the first one may be made in the laptop mode)."""
    first = not users_exist(session)
    actor = require(session, actor, ADMIN, "add users")
    _check_name(name)
    role = _role(role)
    if first and role != ADMIN:
        raise ValidationError({"role": "the first user must be an admin, to manage the others"})
    _check_password(password)
    if session.scalars(select(User.id).where(User.name == name)).first() is not None:
        raise ValidationError({"name": f"user {name!r} exists already; pick another name"})
    user = User(name=name, role=role.value, password_hash=_hasher().hash(password), disabled=False)
    session.add(user)
    session.flush()
    _audit(session, actor, user, "role", None, role.value)
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    others = session.scalars(
        select(User.id).where(User.role == ADMIN.value, ~User.disabled, User.id != user.id)
    ).first()
    if user.role == ADMIN.value and not user.disabled and others is None:
        raise ValidationError(
            {"name": f"{user.name} is the last active admin; nobody could manage users after this"}
        )


def set_role(session: Session, name: str, role: str | Role, *, actor: Actor | None = None) -> User:
    actor = require(session, actor, ADMIN, "change roles")
    role = _role(role)
    user = get_user(session, name)
    if role != ADMIN:
        _keep_an_admin(session, user)
    _audit(session, actor, user, "role", user.role, role.value)
    user.role = role.value
    session.flush()
    return user


def set_disabled(
    session: Session, name: str, disabled: bool = True, *, actor: Actor | None = None
) -> User:
    """Disable (or enable again) a user: a disabled user can neither sign in nor use a token."""
    actor = require(session, actor, ADMIN, "disable or enable users")
    user = get_user(session, name)
    if disabled:
        _keep_an_admin(session, user)
    _audit(session, actor, user, "disabled", user.disabled, disabled)
    user.disabled = disabled
    session.flush()
    return user


def set_password(session: Session, name: str, password: str, *, actor: Actor | None = None) -> None:
    """Set a user's password: admins for anyone, a signed-in user for themself."""
    own = actor is not None and actor.kind == "user" and actor.name == name
    actor = require(session, actor, VIEWER if own else ADMIN, "set passwords")
    _check_password(password)
    user = get_user(session, name)
    user.password_hash = _hasher().hash(password)
    user.password_changed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    _audit(session, actor, user, "password", None, "(changed)")
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


#: Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH: list[str] = []


def sign_in(session: Session, name: str, password: str) -> Actor:
    """The actor for a name and password; one message for every failure (no name probing)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    user = session.scalars(select(User).where(User.name == name)).one_or_none()
    if user is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hasher.hash("not a password of anyone"))
        stored = _DUMMY_HASH[0]
    else:
        stored = user.password_hash
    try:
        ok = hasher.verify(stored, password[:MAX_PASSWORD]) and user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user.disabled:
        raise AuthenticationError(
            "Wrong user name or password, or the account is disabled.",
            "Try again, or ask an admin (deertrack user set-password NAME).",
        )
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return Actor.user(user.name, user.role)


# --- where servers may listen -------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; every other name or address is not."""
    host = (host or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # "", 0.0.0.0-like names, host names: assume reachable from outside


def check_listen(host: str, server: str, *, url: str | None = None) -> None:
    """Refuse to serve beyond loopback while no user account exists (the laptop mode has no
    login). ``server`` names it in the message: "API" or "dashboard"."""
    if is_loopback(host):
        return
    from deertrack_core import db

    db.require_schema(db.get_engine(url))
    with db.session_scope(url) as session:
        if users_exist(session):
            return
    where = host or "every network interface"
    raise ConfigurationError(
        f"The {server} would listen on {where} while DeerTrack has no user accounts, so anyone "
        "who can reach it could change everything without signing in.",
        "Create an admin first (`deertrack user add NAME --role admin`), or listen on "
        "127.0.0.1 only (DEERTRACK_API_HOST / DEERTRACK_DASHBOARD_ADDRESS).",
    )

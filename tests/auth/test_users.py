"""Users and roles in the core: hashing, the laptop mode, re-checked roles, the last admin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deertrack_core import auth, db
from deertrack_core.errors import (
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
    ValidationError,
)
from deertrack_core.models import Correction, User
from tests.auth.conftest import PASSWORD


def test_passwords_are_stored_as_argon2id_hashes(url, people):
    with db.session_scope(url) as s:
        stored = s.scalars(select(User.password_hash).where(User.name == "ada")).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_sign_in_checks_the_password_and_says_the_same_for_every_failure(url, people):
    with db.session_scope(url) as s:
        assert auth.sign_in(s, "rex", PASSWORD) == auth.Actor.user("rex", "reviewer")
        messages = set()
        for name, password in (("rex", "wrong password"), ("nobody", PASSWORD)):
            with pytest.raises(AuthenticationError) as caught:
                auth.sign_in(s, name, password)
            messages.add(caught.value.problem)
        auth.set_disabled(s, "rex", actor=people["admin"])
        with pytest.raises(AuthenticationError) as caught:
            auth.sign_in(s, "rex", PASSWORD)
        messages.add(caught.value.problem)
    assert len(messages) == 1  # nobody learns which names exist


def test_no_users_means_the_laptop_mode_admin_named_by_the_login(url, monkeypatch):
    monkeypatch.setenv("DEERTRACK_USER", "fieldtech")
    with db.session_scope(url) as s:
        actor = auth.require(s, None, auth.ADMIN, "ingest photos")
    assert (actor.name, actor.role, actor.kind) == ("fieldtech", "admin", "local")


def test_once_a_user_exists_nobody_unnamed_may_write(url, people):
    with db.session_scope(url) as s:
        for anonymous in (None, auth.Actor.local()):
            with pytest.raises(AuthenticationError, match="must be signed in"):
                auth.require(s, anonymous, auth.VIEWER, "export reports")


def test_a_role_too_low_is_refused_with_the_fix(url, people):
    with db.session_scope(url) as s:
        with pytest.raises(PermissionDeniedError, match="vic is a viewer; to apply") as caught:
            auth.require(s, people["viewer"], auth.ADMIN, "apply a threshold")
        assert "deertrack user set-role vic admin" in caught.value.fix
        assert auth.require(s, people["reviewer"], auth.REVIEWER, "review").name == "rex"


def test_the_role_is_read_again_on_every_action(url, people):
    stale = people["reviewer"]  # e.g. a dashboard session signed in before the change
    with db.session_scope(url) as s:
        auth.set_role(s, "rex", "viewer", actor=people["admin"])
    with db.session_scope(url) as s:
        with pytest.raises(PermissionDeniedError, match="rex is a viewer"):
            auth.require(s, stale, auth.REVIEWER, "review detections")
        auth.set_disabled(s, "vic", actor=people["admin"])
        with pytest.raises(AuthenticationError, match="'vic' is disabled"):
            auth.require(s, people["viewer"], auth.VIEWER, "export reports")
        with pytest.raises(AuthenticationError, match="'eve' is unknown"):
            auth.require(s, auth.Actor.user("eve", "admin"), auth.VIEWER, "export reports")


def test_only_admins_manage_users_and_every_change_is_audited(url, people):
    with db.session_scope(url) as s:
        with pytest.raises(PermissionDeniedError):
            auth.add_user(s, "mallory", "admin", PASSWORD, actor=people["reviewer"])
        with pytest.raises(PermissionDeniedError):
            auth.set_role(s, "rex", "admin", actor=people["reviewer"])
        auth.set_role(s, "vic", "reviewer", actor=people["admin"])
    with db.session_scope(url) as s:
        audit = s.execute(
            select(Correction.changed_by, Correction.old_value, Correction.new_value).where(
                Correction.entity == "user", Correction.action == "user_role"
            )
        ).all()
        assert ("ada", "viewer", "reviewer") in audit
        assert ("root", None, "admin") in audit  # the console created ada
        assert s.scalar(select(User.id).where(User.name == "mallory")) is None


def test_the_last_active_admin_cannot_be_demoted_or_disabled(url, people):
    with db.session_scope(url) as s:
        with pytest.raises(ValidationError, match="last active admin"):
            auth.set_role(s, "ada", "viewer", actor=people["admin"])
        with pytest.raises(ValidationError, match="last active admin"):
            auth.set_disabled(s, "ada", actor=people["admin"])
        auth.set_role(s, "rex", "admin", actor=people["admin"])
        auth.set_disabled(s, "ada", actor=auth.Actor.user("rex", "admin"))


@pytest.mark.parametrize(
    ("name", "role", "password", "field"),
    [
        ("bad name!", "viewer", PASSWORD, "name"),
        ("ok", "superuser", PASSWORD, "role"),
        ("ok", "viewer", "short", "password"),
        ("ada", "viewer", PASSWORD, "name"),  # exists
    ],
)
def test_bad_user_fields_are_refused(url, people, name, role, password, field):
    with db.session_scope(url) as s, pytest.raises(ValidationError) as caught:
        auth.add_user(s, name, role, password, actor=people["admin"])
    assert field in caught.value.problems


def test_users_set_their_own_password_and_nobody_elses(url, people):
    with db.session_scope(url) as s:
        auth.set_password(s, "vic", "a new long password", actor=people["viewer"])
        with pytest.raises(PermissionDeniedError):
            auth.set_password(s, "rex", "a new long password", actor=people["viewer"])
    with db.session_scope(url) as s:
        assert auth.sign_in(s, "vic", "a new long password").name == "vic"


def test_an_actor_survives_the_trip_through_a_job_record():
    actor = auth.Actor.user("rex", "reviewer")
    assert auth.Actor.from_dict(actor.as_dict()) == actor
    assert auth.Actor.from_dict(None) is None
    with pytest.raises(ValidationError):
        auth.Actor.from_dict({"name": "x", "role": "admin", "kind": "root"})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.8.0.1", True),
     ("0.0.0.0", False), ("::", False), ("", False), ("192.168.1.5", False), ("lab", False)],
)  # fmt: skip
def test_loopback_addresses(host, loopback):
    assert auth.is_loopback(host) is loopback


def test_listening_beyond_loopback_needs_a_user(url):
    auth.check_listen("127.0.0.1", "API", url=url)
    with pytest.raises(ConfigurationError, match="API would listen on 0.0.0.0") as caught:
        auth.check_listen("0.0.0.0", "API", url=url)
    assert "deertrack user add NAME --role admin" in caught.value.fix
    with pytest.raises(ConfigurationError, match="dashboard would listen on every network"):
        auth.check_listen("", "dashboard", url=url)
    with db.session_scope(url) as s:
        auth.add_user(s, "ada", "admin", PASSWORD)  # the first one, in the laptop mode
    auth.check_listen("0.0.0.0", "API", url=url)

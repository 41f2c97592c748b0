"""API tokens: shown once, stored hashed, refused when revoked, expired or disabled."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from deertrack_core import auth, db, tokens
from deertrack_core.errors import AuthenticationError, PermissionDeniedError
from deertrack_core.models import ApiToken


def test_a_token_is_shown_once_and_only_its_hash_is_stored(url, people):
    with db.session_scope(url) as s:
        token, info = tokens.create_token(s, "vic", label="laptop", actor=people["admin"])
    assert token.startswith("dt_") and len(token) >= 40 and token.startswith(info.prefix)
    with db.session_scope(url) as s:
        stored = s.execute(select(ApiToken.token_hash, ApiToken.prefix)).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64
        assert tokens.actor_for_token(s, token) == auth.Actor.user("vic", "viewer")
        assert [t.label for t in tokens.list_tokens(s, "vic")] == ["laptop"]


@pytest.mark.parametrize("spoil", ["revoke", "expire", "disable", "typo"])
def test_spoiled_tokens_are_refused(url, people, spoil):
    with db.session_scope(url) as s:
        token, info = tokens.create_token(s, "rex", actor=people["admin"])
    with db.session_scope(url) as s:
        if spoil == "revoke":
            tokens.revoke_token(s, info.id, actor=people["reviewer"])  # their own
        elif spoil == "expire":
            past = dt.datetime(2020, 1, 1)
            s.execute(update(ApiToken).where(ApiToken.id == info.id).values(expires_at=past))
        elif spoil == "disable":
            auth.set_disabled(s, "rex", actor=people["admin"])
        else:
            token = token[:-1] + ("A" if token[-1] != "A" else "B")
    with db.session_scope(url) as s, pytest.raises(AuthenticationError, match="unknown, revoked"):
        tokens.actor_for_token(s, token)


def test_users_make_tokens_for_themselves_only_admins_for_others(url, people):
    with db.session_scope(url) as s:
        tokens.create_token(s, "vic", actor=people["viewer"])
        with pytest.raises(PermissionDeniedError):
            tokens.create_token(s, "ada", actor=people["viewer"])
        _, theirs = tokens.create_token(s, "rex", actor=people["admin"])
        with pytest.raises(PermissionDeniedError):
            tokens.revoke_token(s, theirs.id, actor=people["viewer"])


def test_a_token_records_when_it_was_last_used(url, people):
    with db.session_scope(url) as s:
        token, info = tokens.create_token(s, "vic", actor=people["admin"])
    assert info.last_used_at is None
    with db.session_scope(url) as s:
        tokens.actor_for_token(s, token)
    with db.session_scope(url) as s:
        assert tokens.list_tokens(s)[0].last_used_at is not None

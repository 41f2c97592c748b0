"""A dashboard sign-in that survives a reload: a token the browser keeps, which signs the user
in again with their current role, stops at sign-out, expiry or a disabled account, and does not
pile up."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from deertrack_core import auth, db, signin, tokens
from deertrack_core.errors import AuthenticationError
from deertrack_core.models import ApiToken, Correction


def test_a_sign_in_resumes_with_the_role_as_it_is_now(url, people):
    with db.session_scope(url) as s:
        token = signin.start_session(s, people["viewer"])
    with db.session_scope(url) as s:
        assert signin.resume(s, token) == auth.Actor.user("vic", "viewer")
        auth.set_role(s, "vic", "reviewer", actor=people["admin"])
    with db.session_scope(url) as s:
        assert signin.resume(s, token).role == "reviewer"  # not the role it was made with
        info = tokens.list_tokens(s, "vic")[-1]
        assert info.label == signin.SESSION_LABEL and info.expires_at is not None
        hours = (info.expires_at - info.created_at).total_seconds() / 3600
        assert 11.9 < hours <= 12.0
        audited = s.scalar(
            select(func.count()).where(
                Correction.entity == "api_token", Correction.changed_by == "vic"
            )
        )
        assert audited == 1  # the sign-in is in the audit trail


@pytest.mark.parametrize("end", ["sign out", "expire", "disable"])
def test_a_sign_in_ends(url, people, end):
    with db.session_scope(url) as s:
        token = signin.start_session(s, people["reviewer"])
    with db.session_scope(url) as s:
        if end == "sign out":
            signin.end_session(s, token, people["reviewer"])
        elif end == "expire":
            past = dt.datetime(2020, 1, 1)
            s.execute(update(ApiToken).values(expires_at=past))
        else:
            auth.set_disabled(s, "rex", actor=people["admin"])
    with db.session_scope(url) as s, pytest.raises(AuthenticationError):
        signin.resume(s, token)


def test_ended_sign_ins_are_deleted_at_the_next_one_and_nothing_else(url, people):
    with db.session_scope(url) as s:
        api, _ = tokens.create_token(s, "rex", label="laptop", actor=people["reviewer"])
        first = signin.start_session(s, people["reviewer"])
        signin.end_session(s, first, people["reviewer"])
        signin.end_session(s, "dt_not-a-token", people["reviewer"])  # unknown: ignored
        signin.start_session(s, people["reviewer"])
    with db.session_scope(url) as s:
        labels = sorted(t.label for t in tokens.list_tokens(s, "rex"))
        assert labels == [signin.SESSION_LABEL, "laptop"]  # the ended one is gone, the API one kept
        assert signin.resume(s, api).name == "rex"

"""Accounts for the role tests: one user of each role on a migrated test database."""

from __future__ import annotations

import pytest

from deertrack_core import auth, db

PASSWORD = "correct horse battery"


@pytest.fixture
def url(engine, db_url, tmp_path, monkeypatch) -> str:
    """A migrated test database (both backends); photos relative to tmp_path."""
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    return db_url


@pytest.fixture
def people(engine, db_url) -> dict[str, auth.Actor]:
    """ada (admin), rex (reviewer), vic (viewer) in the configured test database (made from
    the console); their actors."""
    with db.session_scope(db_url) as s:
        for name, role in (("ada", "admin"), ("rex", "reviewer"), ("vic", "viewer")):
            auth.add_user(s, name, role, PASSWORD, actor=auth.Actor.console("root"))
    return {
        "admin": auth.Actor.user("ada", "admin"),
        "reviewer": auth.Actor.user("rex", "reviewer"),
        "viewer": auth.Actor.user("vic", "viewer"),
    }

"""One database per test module and backend (emptied before each test) instead of one per test:
creating and dropping a PostgreSQL database costs more than most of these tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import _backends, scratch_database


@pytest.fixture(scope="module", params=_backends())
def db_url(request, tmp_path_factory) -> Iterator[str]:
    with scratch_database(request.param, tmp_path_factory.mktemp("reid")) as url:
        yield url


@pytest.fixture
def engine(db_url, monkeypatch):
    """The module's database with the current schema, emptied, set as the configured database."""
    from deertrack_core import db
    from deertrack_core.models import Base

    monkeypatch.setenv("DEERTRACK_DATABASE_URL", db_url)
    eng = db.get_engine(db_url)
    Base.metadata.create_all(eng)
    tables = Base.metadata.sorted_tables
    with eng.begin() as conn:  # DELETE beats TRUNCATE on tables this small
        for table in reversed(tables):
            conn.execute(table.delete())
    return eng

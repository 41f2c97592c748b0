"""One database per test module and backend (emptied before each test) instead of one per test:
creating and dropping a PostgreSQL database costs more than most of these tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import PG_ADMIN_DSN, _backends, _pg_admin_connect, _unavailable


@pytest.fixture(scope="module", params=_backends())
def db_url(request, tmp_path_factory) -> Iterator[str]:
    from deertrack_core import db

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reid') / 'deertrack.db'}"
        yield url
        db.dispose(url)
        return
    try:
        admin = _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001
        _unavailable("PostgreSQL", exc)
    name = f"dt_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://")
    url = f"{base}/{name}"
    try:
        yield url
    finally:
        db.dispose(url)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


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

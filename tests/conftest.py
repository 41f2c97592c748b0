"""Shared fixtures.

* ``db_url`` / ``engine`` / ``session``: every test that uses them runs twice, on a fresh SQLite file
  and on a fresh PostgreSQL database created for that test and dropped after it (the machine's real
  server). ``DEERTRACK_TEST_BACKENDS=sqlite`` limits the run to SQLite.
* ``redis_url``: the machine's real Redis; each test gets its own key prefix and cleans it up.
* ``shared_data``: ``../shared/data``; tests that need it skip cleanly when it is absent.

When ``DEERTRACK_REQUIRE_SERVICES=1`` (CI sets it) a missing PostgreSQL or Redis fails the run
instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("DEERTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("DEERTRACK_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("DEERTRACK_REQUIRE_SERVICES") == "1"


def _backends() -> list[str]:
    return [
        b.strip()
        for b in os.environ.get("DEERTRACK_TEST_BACKENDS", "sqlite,postgresql").split(",")
        if b.strip()
    ]


def _unavailable(what: str, exc: Exception):
    message = f"{what} is not reachable ({exc}); start it or set DEERTRACK_TEST_BACKENDS=sqlite"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def shared_dir() -> Path | None:
    candidates = [os.environ.get("DEERTRACK_SHARED"), ROOT.parent / "shared"]
    for c in candidates:
        if c and (Path(c) / "data").is_dir():
            return Path(c)
    return None


@pytest.fixture
def shared() -> Path:
    path = shared_dir()
    if path is None:
        pytest.skip("../shared is absent (real evaluation data is not part of the repository)")
    return path


@pytest.fixture
def shared_data(shared: Path) -> Path:
    return shared / "data"


def _pg_admin_connect():
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=3)
    conn.autocommit = True
    return conn


@contextmanager
def scratch_database(backend: str, folder: Path, prefix: str = "dt_test") -> Iterator[str]:
    """An empty database on ``backend`` for as long as the block runs: a SQLite file in
    ``folder``, or a PostgreSQL database created on the test server and dropped afterwards."""
    from deertrack_core import db

    if backend == "sqlite":
        url = f"sqlite:///{folder / 'deertrack.db'}"
        try:
            yield url
        finally:
            db.dispose(url)
        return
    try:
        admin = _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001
        _unavailable("PostgreSQL", exc)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(params=_backends())
def db_url(request, tmp_path) -> Iterator[str]:
    """An empty database URL (no tables) on each backend."""
    with scratch_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url, monkeypatch):
    """A database with the current schema, set as the configured database for the test."""
    from deertrack_core import db
    from deertrack_core.models import Base

    monkeypatch.setenv("DEERTRACK_DATABASE_URL", db_url)
    eng = db.get_engine(db_url)
    Base.metadata.create_all(eng)
    return eng


@pytest.fixture
def session(engine):
    """A session on the test database; the test commits when it wants to."""
    from deertrack_core import db

    with db.get_sessionmaker(str(engine.url.render_as_string(hide_password=False)))() as s:
        yield s


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis server; keys written under the test's prefix are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        _unavailable("Redis", exc)
    yield REDIS_TEST_URL
    client.close()


@pytest.fixture
def redis_prefix(redis_url) -> Iterator[str]:
    import redis

    prefix = f"dttest:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()

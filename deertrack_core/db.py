"""The one place that builds engines and sessions.

Callers own the transaction::

    from deertrack_core import db
    with db.session_scope() as session:   # commits on success, rolls back on error
        ...

Query functions elsewhere take a ``Session`` and never commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from deertrack_core import settings
from deertrack_core.errors import DatabaseNotReadyError


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - exercised by tests
    cursor = dbapi_connection.cursor()
    # WAL lets the dashboard read while a worker writes; the busy timeout waits for the writer
    # instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name == "sqlite"


_ENGINES: dict[str, Engine] = {}
_MAKERS: dict[str, sessionmaker[Session]] = {}


def get_engine(url: str | None = None) -> Engine:
    """Return the engine for ``url`` (default: the configured database), built once per URL."""
    url = url or settings.database_url()
    engine = _ENGINES.get(url)
    if engine is not None:
        return engine
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    _ENGINES[url] = engine
    return engine


def get_sessionmaker(url: str | None = None) -> sessionmaker[Session]:
    url = url or settings.database_url()
    maker = _MAKERS.get(url)
    if maker is None:
        maker = _MAKERS[url] = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    return maker


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with get_sessionmaker(url).begin() as session:
        yield session


def dispose(url: str | None = None) -> None:
    """Close the pooled connections of one engine (or of all) and forget it."""
    urls = [url] if url else list(_ENGINES)
    for u in urls:
        engine = _ENGINES.pop(u, None)
        _MAKERS.pop(u, None)
        if engine is not None:
            engine.dispose()


def require_schema(engine: Engine) -> None:
    """Raise a clear error when the database has not been migrated."""
    try:
        tables = set(inspect(engine).get_table_names())
    except Exception as exc:  # noqa: BLE001 - any driver error means "cannot reach it"
        raise DatabaseNotReadyError(
            f"Cannot reach the database at {engine.url.render_as_string(hide_password=True)}: {exc}",
            "Check DEERTRACK_DATABASE_URL and that the server is running.",
        ) from exc
    if "images" not in tables:
        raise DatabaseNotReadyError(
            "The database has no DeerTrack tables yet.",
            "Run `deertrack migrate` (make run does it for you).",
        )

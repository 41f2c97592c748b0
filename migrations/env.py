"""Alembic environment: one migration history for SQLite and PostgreSQL."""

from alembic import context

from deertrack_core import db, settings
from deertrack_core.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("url") or settings.database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with db.get_engine(_url()).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # db.py turns foreign keys on for every SQLite connection; a batch migration that
            # recreates a table (DROP and copy) would then cascade-delete the rows that point at
            # it (a 0006 downgrade emptied the scores and embeddings). Off while migrating.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            _run(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _run(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things, batch mode recreates the table instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

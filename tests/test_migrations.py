"""Alembic migrations upgrade empty SQLite and PostgreSQL databases to head, match the models,
and the latest revision downgrades."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from deertrack_cli.main import main as cli
from deertrack_core import db, migrate
from deertrack_core.models import Base


def test_upgrade_empty_database_to_head(db_url):
    migrate.upgrade(db_url)
    assert migrate.current_revision(db_url) == migrate.head_revision()
    tables = set(inspect(db.get_engine(db_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrations_match_the_models(db_url):
    migrate.upgrade(db_url)
    with db.get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ; run alembic revision --autogenerate: {diff}"


def test_latest_revision_downgrades_and_upgrades_again(db_url):
    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "-1")
    assert migrate.current_revision(db_url) != migrate.head_revision()
    migrate.upgrade(db_url)
    assert migrate.current_revision(db_url) == migrate.head_revision()


def test_cli_migrate(db_url, capsys):
    assert cli(["migrate", "--url", db_url]) == 0
    assert migrate.head_revision() in capsys.readouterr().out


def test_require_schema_names_the_fix(db_url):
    import pytest

    from deertrack_core.errors import DatabaseNotReadyError

    with pytest.raises(DatabaseNotReadyError, match="deertrack migrate"):
        db.require_schema(db.get_engine(db_url))
    migrate.upgrade(db_url)
    db.require_schema(db.get_engine(db_url))

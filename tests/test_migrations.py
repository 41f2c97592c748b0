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


def test_downgrading_keeps_the_rows_that_point_at_a_recreated_table(db_url):
    """SQLite batch mode recreates a table to drop a column; with foreign keys on, dropping the
    old table used to cascade-delete every score and embedding of its detections."""
    from sqlalchemy import text

    migrate.upgrade(db_url)
    with db.get_engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO deployments (id, station, camera, timezone, clock_offset_s, notes, created_at) VALUES (1, 'S', '', 'UTC', 0, '', '2025-01-01')"))  # noqa: E501
        conn.execute(text("INSERT INTO images (id, deployment_id, path, sha256, file_size, time_source, width, height, orientation, make, model, ingested_at) VALUES (1, 1, 'a.jpg', 'x', 0, 'none', 1, 1, 1, '', '', '2025-01-01')"))  # noqa: E501
        conn.execute(text("INSERT INTO detections (id, image_id, x, y, w, h, confidence, category, source, sex_age, match_status, created_at, version) VALUES (1, 1, 0, 0, 1, 1, 1, 'animal', 'md', 'unknown', 'pending', '2025-01-01', 1)"))  # noqa: E501
        conn.execute(text("INSERT INTO embeddings (id, detection_id, model, dim, vector, created_at) VALUES (1, 1, 'm', 1, :v, '2025-01-01')"), {"v": b"\0\0\0\0"})  # noqa: E501
    migrate.downgrade(db_url, "0005")
    migrate.upgrade(db_url)
    with db.get_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM embeddings")).scalar() == 1

from __future__ import annotations

import pytest


@pytest.fixture
def url(engine, db_url, tmp_path, monkeypatch) -> str:
    """A migrated test database (both backends); photo paths stored relative to tmp_path."""
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.delenv("DEERTRACK_TARGET_SPECIES", raising=False)
    return db_url

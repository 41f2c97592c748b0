"""The small archive of tests/review/factory.py on each backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review import factory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def archive(session, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEERTRACK_USER", "tester")
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.85")  # the factory's scores assume it
    monkeypatch.chdir(ROOT)
    return factory.build(session, tmp_path)

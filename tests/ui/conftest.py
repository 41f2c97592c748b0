"""AppTest fixtures: a small archive on a fresh database, pages run from the repository root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.review import factory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_url(tmp_path):
    """Screens are tested on SQLite; the queries under them run on both backends in
    tests/review (the review screen too)."""
    from deertrack_core import db

    url = f"sqlite:///{tmp_path / 'deertrack.db'}"
    yield url
    db.dispose(url)


@pytest.fixture
def archive(session, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEERTRACK_USER", "tester")
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.85")  # the factory's scores assume it
    monkeypatch.setenv("DEERTRACK_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("DEERTRACK_HUEY_PATH", str(tmp_path / "huey.db"))
    monkeypatch.chdir(ROOT)
    return factory.build(session, tmp_path)


@pytest.fixture
def empty_db(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.chdir(ROOT)
    return engine


def run_page(name: str, *, timeout: float = 30, **state):
    """Run one page with AppTest (session state pre-set from ``state``)."""
    from streamlit.testing.v1 import AppTest

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page(f"screens/{name}")
    return at.run()

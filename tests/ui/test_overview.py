from __future__ import annotations

from tests.ui.conftest import run_page


def test_overview_shows_the_archive_counts(archive):
    at = run_page("overview.py")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Individual deer"] == "3" and metrics["Awaiting review"] == "8"


def test_overview_on_an_empty_archive_points_to_import(empty_db):
    at = run_page("overview.py")
    assert not at.exception
    assert any("archive is empty" in m.value for m in at.markdown)


def test_an_unmigrated_database_says_how_to_fix_it(db_url, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATABASE_URL", db_url)
    at = run_page("overview.py")
    assert not at.exception
    assert any("deertrack migrate" in e.value for e in at.error)

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

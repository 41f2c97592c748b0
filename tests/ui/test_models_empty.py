"""The Models page on an empty archive: calm, nothing to promote."""

from __future__ import annotations

from tests.ui.conftest import run_page


def test_an_empty_archive_has_no_versions_yet(empty_db):
    at = run_page("models.py")
    assert not at.exception
    assert any("No version yet" in c.value for c in at.caption)
    assert at.button(key="models_promote").disabled

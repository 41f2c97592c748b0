import re

import pytest

from deertrack_core import settings
from tests.conftest import ROOT


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [s.name for s in settings.SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"settings missing from README.md: {missing}"


def test_readme_lists_no_setting_that_does_not_exist():
    # The developers' section names test-harness variables, which are not product settings.
    readme = (ROOT / "README.md").read_text().split("## For developers")[0]
    named = set(re.findall(r"`(DEERTRACK_[A-Z_]+)`", readme))
    known = {s.name for s in settings.SETTINGS}
    assert named <= known, f"README names unknown settings: {named - known}"


def test_every_setting_has_help_text():
    assert all(len(s.help) > 20 for s in settings.SETTINGS)


def test_environment_overrides_default(monkeypatch):
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.7")
    assert settings.match_threshold() == 0.7
    monkeypatch.delenv("DEERTRACK_MATCH_THRESHOLD")
    assert settings.match_threshold() == float(settings.get("DEERTRACK_MATCH_THRESHOLD"))


def test_unknown_setting_is_refused():
    with pytest.raises(KeyError, match="not a DeerTrack setting"):
        settings.get("DEERTRACK_NOPE")

"""The demo steps aside: the banner says what is true; the Import page removes the demo season
(records and files) and a real import survives it."""

from __future__ import annotations

import pytest
from PIL import Image

from deertrack_core import db
from deertrack_core.demo import load_demo
from deertrack_core.demo.remove import counts
from deertrack_core.jobstatus import get_store
from tests.ui.conftest import run_page
from ui import state as K


@pytest.fixture
def demo_archive(empty_db, tmp_path, monkeypatch):
    from jobs import config

    url = empty_db.url.render_as_string(hide_password=False)
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    monkeypatch.setenv("DEERTRACK_HUEY_PATH", str(tmp_path / "huey.db"))
    config.configure()
    load_demo(url, out_dir=tmp_path / "var" / "demo-season", seed=5, n_deer=4, n_cameras=2,
              visits_per_deer=3.0)  # fmt: skip
    yield url
    monkeypatch.undo()
    config.configure()


def _counts(url):
    with db.session_scope(url) as s:
        return counts(s)


def test_the_banner_says_imports_are_added_beside_the_demo(demo_archive):
    at = run_page("overview.py")
    text = " ".join(i.value for i in at.info)
    assert "Synthetic demo data" in text and "added beside them" in text
    assert "replace" not in text


def test_a_real_import_then_removing_the_demo_keeps_the_import(demo_archive, tmp_path):
    with_demo = _counts(demo_archive)
    folder = tmp_path / "mine" / "Oak-ridge"
    folder.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (64, 48), (40 * i, 110, 70)).save(folder / f"IMG_{i}.JPG")
    at = run_page("import_data.py")
    at.text_input(key=K.IMPORT_FOLDER).set_value(str(tmp_path / "mine"))
    at.button(key="import_submit").click().run()
    assert get_store().get(at.session_state[K.IMPORT_JOB]).status == "completed"
    assert any("Your photos are in" in m.value for m in at.markdown)  # the offer
    with_both = _counts(demo_archive)
    assert with_both["photos"] == with_demo["photos"] + 3
    at.checkbox(key="demo_sure_True").check().run()
    at.button(key="demo_remove_True").click().run()
    assert not at.exception
    after = _counts(demo_archive)
    assert (after["photos"], after["deployments"], after["deer"]) == (3, 1, 0)
    assert not (tmp_path / "var" / "demo-season").exists()
    assert len(list(folder.iterdir())) == 3  # the real photos' files are untouched
    assert not any("Synthetic demo data" in i.value for i in at.info)


def test_removal_needs_the_confirmation(demo_archive):
    at = run_page("import_data.py")
    assert at.button(key="demo_remove_False").disabled
    at.checkbox(key="demo_sure_False").check().run()
    at.button(key="demo_remove_False").click().run()
    assert _counts(demo_archive)["photos"] == 0
    assert any("Demo season removed" in s.value for s in at.success)

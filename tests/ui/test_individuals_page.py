from __future__ import annotations

from deertrack_core import db
from deertrack_core.models import Deer
from tests.ui.conftest import run_page
from ui import state as K


def _url(engine):
    return engine.url.render_as_string(hide_password=False)


def test_gallery_lists_the_deer(archive):
    at = run_page("individuals.py")
    assert not at.exception
    assert at.button(key=f"deer_open_{archive.deer[0]}")


def test_opening_a_deer_shows_its_stations(archive):
    at = run_page("individuals.py")
    at.button(key=f"deer_open_{archive.deer[0]}").click().run()
    assert not at.exception
    assert any("Deer 001" in h.value for h in at.header)
    assert len(at.dataframe) == 1


def test_rename_changes_the_database(archive, engine):
    at = run_page("individuals.py", **{K.DEER_SELECTED: archive.deer[0]})
    at.text_input(key=f"{K.DEER_RENAME}_{archive.deer[0]}").set_value("Big Ten").run()
    at.button(key="deer_rename_btn").click().run()
    with db.session_scope(_url(engine)) as s:
        assert s.get(Deer, archive.deer[0]).name == "Big Ten"


def test_merge_from_the_deer_page(archive, engine):
    at = run_page("individuals.py", **{K.DEER_SELECTED: archive.deer[0]})
    at.selectbox(key=K.DEER_MERGE_WITH).set_value(archive.deer[1]).run()
    at.button(key="deer_merge_btn").click().run()
    with db.session_scope(_url(engine)) as s:
        assert s.get(Deer, archive.deer[1]).merged_into == archive.deer[0]

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


def _two_sightings(engine, archive) -> int:
    """Deer 001 with two more reviewed sightings (the factory's exemplars of deer 2 and 3)."""
    from deertrack_core.models import Detection

    with db.session_scope(_url(engine)) as s:
        for det_id in archive.reviewed[1:3]:
            s.get(Detection, det_id).deer_id = archive.deer[0]
    return archive.deer[0]


def test_bulk_split_moves_picked_sightings_to_a_new_deer_and_undo_joins_them(archive, engine):
    from sqlalchemy import select

    from deertrack_core.models import Detection

    deer_id = _two_sightings(engine, archive)
    at = run_page("individuals.py", **{K.DEER_SELECTED: deer_id})
    at.toggle(key=f"{K.DEER_SPLIT}_on").set_value(True).run()
    for det_id in archive.reviewed[1:3]:
        at.checkbox(key=f"{K.DEER_SPLIT}_{deer_id}_{det_id}").check().run()
    at.text_input(key=f"{K.DEER_SPLIT}_name_{deer_id}").set_value("Twin").run()
    at.button(key="deer_split_btn").click().run()
    assert not at.exception
    with db.session_scope(_url(engine)) as s:
        twin = s.scalars(select(Deer).where(Deer.name == "Twin")).one()
        moved = s.scalars(select(Detection.id).where(Detection.deer_id == twin.id)).all()
        assert sorted(moved) == sorted(archive.reviewed[1:3])
        twin_id = twin.id
    trail = run_page("audit.py")
    assert any("split" in m.value and "new deer Twin" in m.value for m in trail.markdown)
    action = next(b for b in trail.button if (b.key or "").startswith("audit_undo_"))
    action.click().run()
    assert not trail.exception
    with db.session_scope(_url(engine)) as s:
        assert s.get(Deer, twin_id) is None
        back = s.scalars(select(Detection.deer_id).where(Detection.id.in_(archive.reviewed[1:3])))
        assert set(back) == {deer_id}
    assert any("~~undone~~" in m.value for m in trail.markdown)


def test_split_picks_survive_turning_the_page(archive, engine):
    deer_id = _two_sightings(engine, archive)
    at = run_page("individuals.py", **{K.DEER_SELECTED: deer_id})
    at.toggle(key=f"{K.DEER_SPLIT}_on").set_value(True).run()
    at.checkbox(key=f"{K.DEER_SPLIT}_{deer_id}_{archive.reviewed[1]}").check().run()
    at.toggle(key=f"{K.DEER_SPLIT}_on").set_value(False).run()  # the checkboxes go away
    at.toggle(key=f"{K.DEER_SPLIT}_on").set_value(True).run()
    assert at.button(key="deer_split_btn").label == "Move 1 sightings to a new deer"

"""Exports, import and jobs screens with the job queue in immediate mode (jobs run in-process)."""

from __future__ import annotations

import pytest
from PIL import Image

from deertrack_core.jobstatus import get_store
from tests.ui.conftest import run_page
from ui import state as K


@pytest.fixture
def immediate(archive, monkeypatch):
    from jobs import config

    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    config.configure()
    yield archive
    monkeypatch.undo()
    config.configure()


def test_export_button_leads_to_a_completed_job_and_a_download(immediate):
    at = run_page("exports.py")
    at.selectbox(key="export_report").set_value("detections_csv")
    at.button(key="export_submit").click().run()
    assert not at.exception
    job_id = at.session_state[K.EXPORT_JOB]
    assert get_store().get(job_id).status == "completed"
    assert at.get("download_button")


def test_invalid_export_shows_the_field_error_inline(immediate):
    at = run_page("exports.py")
    at.date_input(key="export_start").set_value("2025-12-01")
    at.date_input(key="export_end").set_value("2025-10-01")
    at.button(key="export_submit").click().run()
    assert any("start_date" in e.value for e in at.error)
    assert K.EXPORT_JOB not in at.session_state


def test_import_of_a_server_folder_runs_and_lists_results(immediate, tmp_path):
    folder = tmp_path / "new" / "Ridge"
    folder.mkdir(parents=True)
    Image.new("RGB", (64, 48), (90, 110, 70)).save(folder / "IMG_1.JPG")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    at = run_page("import_data.py")
    at.text_input(key=K.IMPORT_FOLDER).set_value(str(tmp_path / "new"))
    at.button(key="import_submit").click().run()
    assert not at.exception
    assert get_store().get(at.session_state[K.IMPORT_JOB]).status == "completed"
    assert any("problems" in w.value for w in at.warning)


def test_import_of_a_missing_folder_says_so(immediate):
    at = run_page("import_data.py")
    at.text_input(key=K.IMPORT_FOLDER).set_value("/nowhere/at/all")
    at.button(key="import_submit").click().run()
    assert any("no folder" in e.value for e in at.error)


@pytest.fixture
def queue_only(archive, monkeypatch):
    """A real embedded queue with no worker: enqueued jobs wait (their effect is the queue)."""
    from jobs import config

    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "0")
    config.configure()
    yield archive
    monkeypatch.undo()
    config.configure()


def test_jobs_page_queues_a_backfill(queue_only):
    at = run_page("jobs.py")
    at.button(key="jobs_backfill").click().run()
    assert not at.exception
    assert [j.status for j in get_store().list_recent(5) if j.kind == "backfill"] == ["queued"]
    assert any("Running and queued (1)" in h.value for h in at.subheader)


def _labels(engine) -> list[str]:
    from deertrack_core import db
    from deertrack_core.models import Deployment

    with db.session_scope(engine.url.render_as_string(hide_password=False)) as s:
        return sorted(d.label for d in s.query(Deployment))


def test_import_offers_the_cli_layouts(immediate, engine, tmp_path):
    photo = tmp_path / "cards" / "Ridge" / "C9" / "IMG_1.JPG"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (64, 48), (90, 110, 70)).save(photo)
    at = run_page("import_data.py")
    at.text_input(key=K.IMPORT_FOLDER).set_value(str(tmp_path / "cards"))
    at.selectbox(key=K.IMPORT_LAYOUT).set_value("station/camera")
    at.button(key="import_submit").click().run()
    assert not at.exception
    assert "Ridge/C9" in _labels(engine)


def test_import_with_a_deployments_csv_and_a_bad_layout(immediate, engine, tmp_path):
    photo = tmp_path / "cards" / "card7" / "IMG_2.JPG"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (64, 48), (80, 100, 60)).save(photo)
    csv = tmp_path / "deployments.csv"
    csv.write_text("station,camera,folder\nOak,Z1,card7\n")
    at = run_page("import_data.py")
    at.text_input(key=K.IMPORT_FOLDER).set_value(str(tmp_path / "cards"))
    at.selectbox(key=K.IMPORT_LAYOUT).set_value("other")
    at.text_input(key="import_layout_custom").set_value("station/lens")
    at.button(key="import_submit").click().run()
    assert any("Unknown folder layout 'station/lens'" in e.value for e in at.error)
    assert K.IMPORT_JOB not in at.session_state  # refused before anything was queued
    at.selectbox(key=K.IMPORT_LAYOUT).set_value("auto")
    at.text_input(key=K.IMPORT_DEPLOYMENTS).set_value(str(csv))
    at.button(key="import_submit").click().run()
    assert not at.exception
    assert "Oak/Z1" in _labels(engine)


def test_jobs_page_says_whether_a_worker_is_alive(queue_only, engine):
    import datetime as dt

    from deertrack_core.jobstatus.workers import SqlWorkers

    at = run_page("jobs.py")
    assert any("No worker is running" in w.value for w in at.warning)
    SqlWorkers(engine.url.render_as_string(hide_password=False)).beat(
        "lab-host:4242", threads=2, started_at=dt.datetime(2026, 1, 1)
    )
    at.run()
    assert any("1 worker alive" in m.value and "lab-host:4242" in m.value for m in at.markdown)
    assert not any("No worker is running" in w.value for w in at.warning)


def test_both_job_starters_queue_their_job(queue_only):
    at = run_page("jobs.py")
    at.button(key="jobs_rematch").click().run()
    assert any("Match pending detections: job" in s.value for s in at.success)

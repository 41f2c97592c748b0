"""Producers check the caller's role before anything is queued; the worker checks again."""

from __future__ import annotations

import pytest
from PIL import Image

from deertrack_core import auth, db
from deertrack_core.errors import AuthenticationError, IngestError, PermissionDeniedError
from deertrack_core.jobstatus import get_store
from jobs import tasks


def test_a_viewer_exports_and_the_job_says_who_asked(redis_queue, people):
    job_id = tasks.enqueue_export({"report_type": "detections_csv"}, actor=people["viewer"])
    params = get_store().get(job_id).params
    assert (params["requested_by"], params["requested_via"]) == ("vic", "user")
    assert tasks.queue_length() == 1


@pytest.mark.parametrize(
    "enqueue",
    [
        lambda a: tasks.enqueue_backfill(actor=a),
        lambda a: tasks.enqueue_rematch(actor=a),
        lambda a: tasks.enqueue_selftest(actor=a),
        lambda a: tasks.enqueue_ingest(".", actor=a),
    ],
    ids=["backfill", "rematch", "selftest", "ingest"],
)
def test_jobs_that_change_data_need_an_admin_and_nothing_is_queued(redis_queue, people, enqueue):
    with pytest.raises(PermissionDeniedError, match="rex is a reviewer"):
        enqueue(people["reviewer"])
    assert tasks.queue_length() == 0 and get_store().list_recent() == []


def test_once_accounts_exist_a_caller_naming_nobody_is_refused(redis_queue, people):
    # What the dashboard's pages do until they sign people in (phase 2): they write nothing.
    with pytest.raises(AuthenticationError, match="must be signed in"):
        tasks.enqueue_export({"report_type": "detections_csv"})
    assert tasks.queue_length() == 0


def test_an_ingest_outside_the_data_root_is_refused_before_queueing(
    redis_queue, tmp_path, monkeypatch, tmp_path_factory
):
    # The laptop mode too: the Import page must not read any folder of the server.
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path / "root"))
    (tmp_path / "root").mkdir()
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    with pytest.raises(IngestError, match="outside the data root") as caught:
        tasks.enqueue_ingest(elsewhere)
    assert "DEERTRACK_DATA_ROOT" in caught.value.fix
    with pytest.raises(IngestError, match="detections file"):
        tasks.enqueue_ingest(tmp_path / "root", md_json=elsewhere / "md.json")
    assert tasks.queue_length() == 0 and get_store().list_recent() == []


def test_the_worker_checks_the_role_again_when_the_job_runs(
    redis_queue, people, tmp_path, monkeypatch
):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    folder = tmp_path / "photos" / "North"
    folder.mkdir(parents=True)
    Image.new("RGB", (64, 48)).save(folder / "IMG_1.JPG")
    ada = auth.Actor.user("ada", "admin")
    job_id = tasks.enqueue_ingest(tmp_path / "photos", actor=ada)
    with db.session_scope() as s:  # demoted while the job waits in the queue
        auth.set_role(s, "rex", "admin", actor=ada)
        auth.set_role(s, "ada", "viewer", actor=ada)
    params = {"folder": str(tmp_path / "photos")}
    tasks.ingest_task.call_local(job_id, params, actor=ada.as_dict())
    state = get_store().get(job_id)
    assert state.status == "failed" and "ada is a viewer" in state.message


def test_a_queued_rematch_of_a_demoted_admin_does_not_run(redis_queue, people):
    ada = auth.Actor.user("ada", "admin")
    job_id = tasks.enqueue_rematch(actor=ada)
    with db.session_scope() as s:
        auth.set_role(s, "rex", "admin", actor=ada)
        auth.set_disabled(s, "ada", actor=auth.Actor.user("rex", "admin"))
    tasks.rematch_task.call_local(job_id, {}, actor=ada.as_dict())
    state = get_store().get(job_id)
    assert state.status == "failed" and "'ada' is disabled" in state.message

"""API routes for capture histories, score exports, the score summary and abundance."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from deertrack_core.jobstatus import get_store
from jobs import tasks
from tests.jobs.conftest import wait_for
from tests.jobs.test_api import GOOD_PDF, LOOPBACK, seed_archive


@pytest.fixture
def client(redis_queue) -> TestClient:
    return TestClient(create_app(), client=LOOPBACK)


@pytest.mark.parametrize("report_type", ["secr_capthist", "mark_inp", "detection_history"])
def test_capture_histories_are_queued_as_export_jobs(client, report_type):
    response = client.post("/api/exports/capture-history",
                           json={**GOOD_PDF, "report_type": report_type, "confirmed_only": True})  # fmt: skip
    assert response.status_code == 202
    params = get_store().get(response.json()["job_id"]).params
    assert (params["report_type"], params["confirmed_only"]) == (report_type, True)


def test_a_report_of_another_family_is_sent_to_its_path(client):
    wrong = client.post("/api/exports/pdf", json={**GOOD_PDF, "report_type": "mark_inp"})
    assert wrong.status_code == 400
    assert "post it to /api/exports/capture-history" in wrong.json()["detail"]["problems"][
        "report_type"]  # fmt: skip
    scores = client.post("/api/exports/capture-history", json={"report_type": "scores_csv"})
    assert "post it to /api/exports/scores" in scores.json()["detail"]["problems"]["report_type"]
    assert tasks.queue_length() == 0


def test_scores_export_takes_model_and_run_filters(client):
    ok = client.post("/api/exports/scores", json={"report_type": "scores_parquet",
                                                  "model": "m1", "run_id": "run-a"})  # fmt: skip
    assert ok.status_code == 202
    bad = client.post("/api/exports/scores", json={"report_type": "scores_csv",
                                                   "run_id": "../etc"})  # fmt: skip
    assert bad.status_code == 400 and "run_id" in bad.json()["detail"]["problems"]


def test_capture_history_end_to_end_through_a_worker(redis_queue, session, start_worker):
    seed_archive(session)
    client = TestClient(create_app(), client=LOOPBACK)
    start_worker()
    job_id = client.post("/api/exports/capture-history",
                         json={**GOOD_PDF, "report_type": "mark_inp"}).json()["job_id"]  # fmt: skip

    def done():
        body = client.get(f"/api/exports/{job_id}").json()
        return body if body["status"] in ("completed", "failed") else None

    body = wait_for(done, timeout=90)
    assert body["status"] == "completed", body["message"]
    download = client.get(body["download_url"])
    assert download.headers["content-type"].startswith("text/plain")
    # one deer, seen 3 and 8 June (the 2nd week); the week of 10 June has only an unidentified
    # deer, so it is left out as no evidence of who was there
    assert b" 0100 1;" in download.content


def test_score_summary_and_abundance_answer_as_json(session):
    seed_archive(session)
    client = TestClient(create_app(), client=LOOPBACK)
    summary = client.get("/api/scores/summary", params={"bins": 10})
    assert summary.status_code == 200 and summary.json()["total"] == 0
    bad = client.get("/api/scores/summary", params={"run_id": "a b"})
    assert bad.status_code == 400
    report = client.get("/api/abundance", params={"occasion": "week", "replicates": 10})
    assert report.status_code == 200
    body = report.json()
    assert body["deer_seen"] == 1 and {m["model"] for m in body["models"]} == {
        "M0", "Mt", "Mb", "Mh2"}  # fmt: skip
    assert {"sampling", "with_id_error"} <= set(body["models"][0])
    assert "every identity counted was set by a reviewer" in body["id_error_note"]
    refused = client.get("/api/abundance", params={"occasion": "year"})
    assert refused.status_code == 400 and "group_by" in refused.json()["detail"]["problems"]

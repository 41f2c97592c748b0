"""The HTTP API: validation, status, download, errors; end to end with a real worker."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from deertrack_core.jobstatus import get_store
from deertrack_core.models import Deer, Deployment, Detection, Image
from jobs import tasks
from tests.jobs.conftest import wait_for

#: The laptop mode (no user accounts) answers requests from this machine only.
LOOPBACK = ("127.0.0.1", 50000)
GOOD_PDF = {
    "report_type": "seasonal_activity",
    "start_date": "2024-06-01",
    "end_date": "2024-06-30",
    "group_by": "week",
}


@pytest.fixture
def client(redis_queue) -> TestClient:
    return TestClient(create_app(), client=LOOPBACK)


def test_valid_request_is_accepted_and_queued(client):
    response = client.post("/api/exports/pdf", json=GOOD_PDF)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["job_id"]
    assert response.headers["location"].endswith(f"/api/exports/{body['job_id']}")
    assert tasks.queue_length() == 1


def test_invalid_request_is_400_with_every_problem(client):
    response = client.post(
        "/api/exports/pdf",
        json={**GOOD_PDF, "start_date": "2024-07-01", "group_by": "year", "colour": "red"},
    )
    assert response.status_code == 400
    problems = response.json()["detail"]["problems"]
    assert problems["start_date"] == "start_date must be on or before end_date"
    assert set(problems) == {"start_date", "group_by", "colour"}
    assert tasks.queue_length() == 0


def test_report_type_must_match_the_path(client):
    response = client.post("/api/exports/csv", json=GOOD_PDF)
    assert response.status_code == 400
    assert response.json()["detail"]["problems"]["report_type"].startswith(
        "report_type 'seasonal_activity' is not a csv report; post it to /api/exports/pdf"
    )


def test_camtrap_dp_path_implies_the_report_type(client):
    response = client.post("/api/exports/camtrap-dp", json={"start_date": "2024-06-01"})
    assert response.status_code == 202
    assert get_store().get(response.json()["job_id"]).params["report_type"] == "camtrap_dp"


def test_body_that_is_not_an_object_is_400(client):
    response = client.post("/api/exports/pdf", json=["seasonal_activity"])
    assert response.status_code == 400
    assert "problems" in response.json()["detail"]


def test_status_of_queued_export(client):
    job_id = client.post("/api/exports/pdf", json=GOOD_PDF).json()["job_id"]
    body = client.get(f"/api/exports/{job_id}").json()
    assert (body["status"], body["percent"], body["download_url"]) == ("queued", 0.0, None)


def test_unknown_job_is_404(client):
    response = client.get("/api/exports/nope")
    assert response.status_code == 404
    assert response.json()["detail"]["problem"] == "There is no export job 'nope'."


def test_download_before_completion_is_409(client):
    job_id = client.post("/api/exports/pdf", json=GOOD_PDF).json()["job_id"]
    response = client.get(f"/api/exports/{job_id}/download")
    assert response.status_code == 409
    assert "nothing to download yet" in response.json()["detail"]["problem"]


def test_recent_jobs_are_listed_newest_first(client):
    first = client.post("/api/exports/pdf", json=GOOD_PDF).json()["job_id"]
    second = client.post("/api/exports/camtrap-dp", json={}).json()["job_id"]
    assert [j["job_id"] for j in client.get("/api/jobs").json()] == [second, first]


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/exports/pdf", "/api/exports/{job_id}/download", "/api/jobs"} <= set(paths)


# --- end to end: the API, the real Redis queue and a real worker process ------------------------


def seed_archive(session) -> None:
    """Two stations, one known deer, a handful of June 2024 detections."""
    deer = Deer(name="Buck 1", sex_age="adult_male")
    session.add(deer)
    for n, station in enumerate(("North", "South"), start=1):
        dep = Deployment(
            station=station,
            camera=f"cam{n}",
            start=dt.datetime(2024, 6, 1),
            end=dt.datetime(2024, 6, 30),
            latitude=45.0 + n / 100,
            longitude=-75.0,
        )
        session.add(dep)
        for i in range(3):
            moment = dt.datetime(2024, 6, 3 + i * 5, 6 + n, 15)
            image = Image(
                deployment=dep,
                path=f"{station}/IMG_{i:04d}.JPG",
                sha256=f"{n}{i}".ljust(64, "0"),
                camera_time=moment,
                captured_at=moment,
                width=1920,
                height=1080,
            )
            session.add(image)
            session.add(
                Detection(
                    image=image,
                    x=0.1,
                    y=0.2,
                    w=0.3,
                    h=0.4,
                    confidence=0.9,
                    species="Odocoileus virginianus",
                    deer=deer if i < 2 else None,
                    match_status="confirmed" if i < 2 else "pending",
                )
            )
    session.commit()


@pytest.mark.parametrize(
    ("family", "report_type", "module", "suffix", "magic"),
    [
        ("csv", "record_table_csv", "csv_export", ".csv", b"Station"),
        pytest.param(
            "pdf", "seasonal_activity", "pdf_seasonal", ".pdf", b"%PDF", marks=pytest.mark.slow
        ),
    ],
)
def test_export_end_to_end_through_a_worker(
    redis_queue, session, start_worker, family, report_type, module, suffix, magic
):
    pytest.importorskip("deertrack_core.reports.build")
    pytest.importorskip(f"deertrack_core.reports.{module}")
    seed_archive(session)
    client = TestClient(create_app(), client=LOOPBACK)
    start_worker()
    job_id = client.post(
        f"/api/exports/{family}", json={**GOOD_PDF, "report_type": report_type}
    ).json()["job_id"]

    def done():
        body = client.get(f"/api/exports/{job_id}").json()
        return body if body["status"] in ("completed", "failed") else None

    body = wait_for(done, timeout=90)
    assert body["status"] == "completed", body["message"]
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert download.headers["content-disposition"].endswith(f'{suffix}"')
    assert magic in download.content[:200]


def test_unmigrated_database_is_503_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    response = TestClient(create_app(), client=LOOPBACK).get("/api/jobs")
    assert response.status_code == 503
    assert "deertrack migrate" in response.json()["detail"]["fix"]

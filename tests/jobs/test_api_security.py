"""The API as an attacker on the lab network meets it: tokens, roles, limits, tampered records."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from deertrack_core import auth, db, tokens
from deertrack_core.jobstatus import get_store
from deertrack_core.models import Job
from jobs import config, tasks
from tests.jobs.test_api import GOOD_PDF, LOOPBACK

SECRET = "root:x:0:0:root:/root:/bin/bash\n"


def _client(token: str | None = None, client=("10.0.0.66", 40000)) -> TestClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(create_app(), headers=headers, client=client)


@pytest.fixture
def clients(redis_queue, people) -> dict[str, TestClient]:
    """A client per role, each with its own token, calling from another machine."""
    out = {}
    with db.session_scope() as s:
        for role, actor in people.items():
            token, _ = tokens.create_token(s, actor.name, actor=people["admin"])
            out[role] = _client(token)
    out["anonymous"] = _client()
    return out


def test_without_a_token_it_is_401_naming_the_fix(clients):
    anonymous = clients["anonymous"]
    for response in (anonymous.get("/api/jobs"), anonymous.post("/api/exports/pdf", json=GOOD_PDF)):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "deertrack token create" in response.json()["detail"]["fix"]
    assert tasks.queue_length() == 0


def test_every_path_but_the_docs_needs_a_token(clients):
    anonymous = clients["anonymous"]
    for path in ("/API/jobs", "//api/jobs", "/%61pi/jobs", "/nothing", "/api/me"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.get("/openapi.json").status_code == 200


def test_a_wrong_token_is_401(clients):
    assert _client("dt_" + "A" * 43).get("/api/jobs").status_code == 401
    assert _client("not even a token").get("/api/me").status_code == 401


def test_a_viewer_exports_but_may_not_start_matching(clients):
    assert clients["viewer"].get("/api/me").json() == {
        "name": "vic", "role": "viewer", "kind": "user"
    }  # fmt: skip
    assert clients["viewer"].post("/api/exports/csv", json={"report_type": "detections_csv"}).status_code == 202  # fmt: skip
    for path in ("/api/jobs/rematch", "/api/jobs/backfill"):
        refused = clients["reviewer"].post(path)
        assert refused.status_code == 403
        assert "rex is a reviewer" in refused.json()["detail"]["problem"]
    assert clients["admin"].post("/api/jobs/rematch").status_code == 202
    assert tasks.queue_length() == 2


def test_a_viewer_sees_only_their_own_jobs(clients):
    mine = clients["viewer"].post("/api/exports/pdf", json=GOOD_PDF).json()["job_id"]
    theirs = clients["reviewer"].post("/api/exports/pdf", json=GOOD_PDF).json()["job_id"]
    admin_job = clients["admin"].post("/api/jobs/backfill").json()["job_id"]
    assert [j["job_id"] for j in clients["viewer"].get("/api/jobs").json()] == [mine]
    assert {j["job_id"] for j in clients["admin"].get("/api/jobs").json()} == {
        mine, theirs, admin_job
    }  # fmt: skip
    for path in (f"/api/exports/{theirs}", f"/api/exports/{theirs}/download"):
        assert clients["viewer"].get(path).status_code == 404


def test_the_laptop_mode_answers_this_machine_only(redis_queue):
    assert _client(client=LOOPBACK).get("/api/jobs").status_code == 200
    assert _client().get("/api/jobs").status_code == 401  # from the network
    proxied = _client(client=LOOPBACK).get("/api/jobs", headers={"X-Forwarded-For": "10.0.0.66"})
    assert proxied.status_code == 401  # a proxy on this machine passing others' requests on


def _completed_export(tmp_path, owner: auth.Actor) -> tuple[str, str]:
    """A finished export of ``owner`` with its file in its folder; (job id, file path)."""
    store = get_store()
    job_id = store.create("export", {"report_type": "detections_csv", **auth.job_owner(owner)}).id
    folder = tmp_path / "exports" / job_id
    folder.mkdir(parents=True)
    path = folder / "detections.csv"
    path.write_text("image,deer\n1,Buck\n")
    store.complete(job_id, str(path), {"file": path.name})
    return job_id, str(path)


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "etc" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


def test_a_tampered_result_path_in_redis_is_not_served(clients, people, tmp_path, secret):
    job_id, _ = _completed_export(tmp_path, people["viewer"])
    download = f"/api/exports/{job_id}/download"
    assert clients["viewer"].get(download).text == "image,deer\n1,Buck\n"
    store = get_store()
    for forged in (str(secret), "/etc/passwd", str(tmp_path / "exports" / job_id / ".." / "x")):
        store.client.hset(store._key(job_id), "result_path", forged)
        response = clients["viewer"].get(download)
        assert response.status_code == 404 and SECRET not in response.text
        assert "root:" not in response.text


def test_a_tampered_result_path_in_the_database_is_not_served(
    people, tmp_path, secret, monkeypatch
):
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_EXPORT_DIR", str(tmp_path / "exports"))
    config.configure()
    with db.session_scope() as s:
        token, _ = tokens.create_token(s, "vic", actor=people["admin"])
    job_id, _ = _completed_export(tmp_path, people["viewer"])
    client = _client(token)
    assert client.get(f"/api/exports/{job_id}/download").status_code == 200
    with db.session_scope() as s:
        s.execute(update(Job).where(Job.id == job_id).values(result_path=str(secret)))
    response = client.get(f"/api/exports/{job_id}/download")
    assert response.status_code == 404 and SECRET not in response.text
    monkeypatch.undo()
    config.configure()


def test_a_symlinked_export_file_is_not_followed(clients, people, tmp_path, secret):
    job_id, path = _completed_export(tmp_path, people["viewer"])
    with open(path, "w"):
        pass
    import os

    os.unlink(path)
    os.symlink(secret, path)  # the record is right; the file is a link out
    response = clients["viewer"].get(f"/api/exports/{job_id}/download")
    assert response.status_code == 404 and SECRET not in response.text


def test_a_job_id_cannot_climb_out_of_the_export_folder(clients):
    for job_id in ("..", "..%2F..", "a" * 65):
        assert clients["admin"].get(f"/api/exports/{job_id}/download").status_code == 404


def test_a_50_mb_body_is_refused_before_it_is_parsed(clients):
    big = b'{"report_type": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    response = clients["viewer"].post(
        "/api/exports/pdf", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than 4194304 bytes" in response.json()["detail"]["problem"]

    def streamed():  # no Content-Length: counted as it arrives
        for _ in range(50):
            yield b" " * (1024 * 1024)

    response = clients["viewer"].post(
        "/api/exports/pdf", content=streamed(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert tasks.queue_length() == 0


def test_300000_deployment_ids_are_a_400_naming_the_field(clients):
    body = {**GOOD_PDF, "deployments": list(range(1, 300_001))}
    response = clients["viewer"].post("/api/exports/pdf", json=body)
    assert response.status_code == 400
    problem = response.json()["detail"]["problems"]["deployments"]
    assert problem.startswith("deployments may name at most 10000 deployments (got 300000)")
    assert len(response.text) < 1000 and tasks.queue_length() == 0


@pytest.mark.parametrize(
    ("field", "value"), [("end_date", "9999-12-31"), ("start_date", "1900-01-01")]
)
def test_dates_out_of_range_are_a_400_and_nothing_is_queued(clients, field, value):
    response = clients["viewer"].post("/api/exports/pdf", json={**GOOD_PDF, field: value})
    assert response.status_code == 400
    assert "must lie between 1990-01-01 and" in response.json()["detail"]["problems"][field]
    assert tasks.queue_length() == 0 and get_store().list_recent() == []


def test_a_deeply_nested_body_is_a_400(clients):
    body = "[" * 100_000 + "]" * 100_000
    response = clients["viewer"].post(
        "/api/exports/pdf", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_redis_unreachable_is_a_503_with_problem_and_fix(people, monkeypatch):
    monkeypatch.setenv("DEERTRACK_REDIS_URL", "redis://127.0.0.1:1/0")
    config.configure()
    with db.session_scope() as s:
        token, _ = tokens.create_token(s, "vic", actor=people["admin"])
    client = _client(token)
    for response in (client.get("/api/jobs"), client.post("/api/exports/pdf", json=GOOD_PDF)):
        assert response.status_code == 503
        detail = response.json()["detail"]
        assert "Redis at redis://127.0.0.1:1/0" in detail["problem"]
        assert "DEERTRACK_REDIS_URL" in detail["fix"]
    monkeypatch.undo()
    config.configure()


def test_error_bodies_are_json(clients):
    response = clients["viewer"].get("/api/exports/nope")
    assert response.status_code == 404
    assert json.loads(response.text)["detail"]["problem"]

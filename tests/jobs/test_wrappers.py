"""The thin task wrappers over the real core functions, run in immediate mode (no worker),
and the `deertrack api` command as a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx
import pytest
from PIL import Image

from deertrack_core.jobstatus import get_store
from jobs import config, tasks
from tests.conftest import ROOT
from tests.jobs.conftest import wait_for


@pytest.fixture
def immediate(engine, monkeypatch, tmp_path):
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEERTRACK_EXPORT_DIR", str(tmp_path / "exports"))
    config.configure()
    yield tmp_path
    monkeypatch.undo()
    config.configure()


def test_ingest_job_ingests_a_folder(immediate):
    folder = immediate / "photos" / "North"
    folder.mkdir(parents=True)
    for i in range(2):
        Image.new("RGB", (64, 48), (40 * i, 90, 30)).save(folder / f"IMG_{i}.JPG")
    state = get_store().get(tasks.enqueue_ingest(immediate / "photos"))
    assert (state.status, state.kind) == ("completed", "ingest")
    assert state.result["ingest"]["ingested"] == 2


def test_rematch_job_runs_matching(immediate):
    state = get_store().get(tasks.enqueue_rematch())
    assert state.status == "completed"
    assert state.result["detections"] == 0


def test_backfill_job_runs_backfill(immediate):
    state = get_store().get(tasks.enqueue_backfill())
    assert state.status == "completed"
    assert state.result["processed"] == 0


def test_export_job_writes_its_file_in_a_folder_of_its_own(immediate):
    job_id = tasks.enqueue_export({"report_type": "detections_csv"})
    state = get_store().get(job_id)
    assert state.status == "completed"
    path = immediate / "exports" / job_id / state.result["file"]
    assert state.result_path == str(path) and path.is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_api_command_serves_the_api(redis_queue, tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deertrack_cli.main", "api", "--port", str(port)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=open(tmp_path / "api.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )

    def up():
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/jobs", timeout=2)
        except httpx.HTTPError:
            return None

    try:
        response = wait_for(up, timeout=60, every=0.2)
        assert response.status_code == 200 and response.json() == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)

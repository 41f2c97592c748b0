"""deertrack detect: over the photos a model has not seen, twice, killed (SIGKILL) and resumed,
and as a job (real databases, real subprocesses)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from deertrack_core import db
from deertrack_core.detect.run import detect_pending
from deertrack_core.errors import ConfigurationError, ModelUnavailableError, ValidationError
from deertrack_core.ingest import ingest_folder
from deertrack_core.models import Detection, DetectorPass, Embedding
from tests.conftest import ROOT
from tests.detect.models import EXPECTED, export
from tests.ingest.photos import make_jpeg

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


def photos(root, n: int) -> None:
    for i in range(n):
        make_jpeg(
            root / "S1" / f"IMG{i:04d}.jpg", when=T0 + dt.timedelta(minutes=i), size=(128, 64)
        )


def count(url, what) -> int:
    with db.session_scope(url) as s:
        return int(s.scalar(select(func.count()).select_from(what)))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return export(tmp_path_factory.mktemp("m") / "md_like.onnx", "yolov5")


def test_a_second_run_adds_nothing(url, tmp_path, model):
    photos(tmp_path / "cams", 5)
    ingest_folder(tmp_path / "cams", url=url)
    first = detect_pending(url, detector=f"onnx:{model}", threshold=0.5, batch_size=2)
    assert (first.photos, first.seen_before, first.boxes, first.animals) == (5, 0, 10, 5)
    with db.session_scope(url) as s:
        dets = list(s.scalars(select(Detection).order_by(Detection.id)))
    assert {d.source for d in dets} == {first.model}
    assert [(d.category, round(d.confidence, 3), (round(d.x, 5), round(d.y, 5), round(d.w, 5),
             round(d.h, 5))) for d in dets[:2]] == EXPECTED  # fmt: skip
    again = detect_pending(url, detector=f"onnx:{model}", threshold=0.5)
    assert (again.photos, again.seen_before, again.boxes) == (0, 5, 0)
    assert (count(url, Detection), count(url, DetectorPass)) == (10, 5)


def test_only_photos_under_a_folder_and_the_new_ones_later(url, tmp_path, model):
    photos(tmp_path / "cams", 2)
    make_jpeg(tmp_path / "cams" / "S2" / "x.jpg", when=T0, size=(128, 64))
    ingest_folder(tmp_path / "cams", url=url)
    part = detect_pending(url, detector=f"onnx:{model}", under=tmp_path / "cams" / "S2")
    assert part.photos == 1
    rest = detect_pending(url, detector=f"onnx:{model}")
    assert (rest.photos, rest.seen_before) == (2, 1)


def test_embedding_from_the_same_decode(url, tmp_path, model):
    photos(tmp_path / "cams", 3)
    ingest_folder(tmp_path / "cams", url=url)
    summary = detect_pending(url, detector=f"onnx:{model}", embed=True)
    assert summary.embedded == 3  # the animals, not the people
    assert count(url, Embedding) == 3


def test_a_photo_that_went_missing_is_reported_and_tried_again(url, tmp_path, model):
    photos(tmp_path / "cams", 3)
    ingest_folder(tmp_path / "cams", url=url)
    gone = tmp_path / "cams" / "S1" / "IMG0001.jpg"
    data = gone.read_bytes()
    gone.unlink()
    first = detect_pending(url, detector=f"onnx:{model}")
    assert first.photos == 2 and [p.path.rsplit("/", 1)[-1] for p in first.failed] == [
        "IMG0001.jpg"
    ]
    assert "does not exist" in first.failed[0].reason
    gone.write_bytes(data)
    assert detect_pending(url, detector=f"onnx:{model}").photos == 1


def test_bad_requests(url, tmp_path, model):
    with pytest.raises(ValidationError, match="threshold"):
        detect_pending(url, detector=f"onnx:{model}", threshold=1.5)
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        detect_pending(url, detector=f"onnx:{tmp_path / 'nope.onnx'}")


def test_killed_run_resumes_without_duplicates(url, tmp_path):
    # A slower model (a real conv trunk at 320 px) so that the run can be killed half-way.
    heavy = export(tmp_path / "heavy.onnx", "yolov5", size=320, work=6)
    n = 120
    photos(tmp_path / "cams", n)
    ingest_folder(tmp_path / "cams", url=url)
    env = {**os.environ, "DEERTRACK_DATABASE_URL": url, "DEERTRACK_DATA_ROOT": str(tmp_path),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    cmd = [sys.executable, "-m", "deertrack_cli.main", "detect", "--detector", f"onnx:{heavy}",
           "--batch-size", "4", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while count(url, DetectorPass) < 8 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    killed_at = count(url, DetectorPass)
    assert 8 <= killed_at < n, "the run must have been killed half-way"
    assert count(url, Detection) == 2 * killed_at  # whole batches only: boxes with their passes
    done = subprocess.run(cmd + ["--json"], env=env, cwd=ROOT, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert (count(url, DetectorPass), count(url, Detection)) == (n, 2 * n)
    with db.session_scope(url) as s:
        distinct = s.execute(select(Detection.image_id, Detection.category).distinct()).all()
    assert len(distinct) == 2 * n  # no photo got its boxes twice


def test_detect_as_a_job(url, tmp_path, model, monkeypatch):
    from deertrack_core.jobstatus import get_store
    from jobs import config, tasks

    photos(tmp_path / "cams", 3)
    ingest_folder(tmp_path / "cams", url=url)
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    config.configure()
    try:
        with pytest.raises(ConfigurationError, match="No detector is configured"):
            tasks.enqueue_detect()
        job_id = tasks.enqueue_detect(detector=f"onnx:{model}", threshold=0.5)
        status = get_store().get(job_id)
    finally:
        monkeypatch.undo()
        config.configure()
    assert status.status == "completed", status.message
    assert (status.result["photos"], status.result["boxes"]) == (3, 6)
    assert status.message == "6 boxes (3 animals) on 3 photos"

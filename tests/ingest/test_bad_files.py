"""A folder of files that used to break ingest, ingested in full: from the library, the CLI (a real
subprocess) and as a job. Every bad file gets exactly one reason; every good photo is stored."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from deertrack_core import db, paths
from deertrack_core.analysis.effort import trap_nights
from deertrack_core.analysis.load import load_deployments
from deertrack_core.ingest import ingest_folder
from deertrack_core.models import Deployment, Image
from tests.conftest import ROOT
from tests.ingest.photos import make_jpeg

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)

#: file -> what its one reason must say
BAD = {
    "x.jpg": "a FIFO (named pipe), not a photo file: skipped unopened",
    "sock.jpg": "a socket, not a photo file: skipped unopened",
    "cut.jpg": "truncated JPEG",
    "page.jpg": "not a readable image: text (HTML or XML)",
    "empty.JPG": "empty file (0 bytes)",
    "dangling.jpg": "cannot read the file: No such file or directory",
}


def build_bad_folder(root: Path) -> Path:
    """S1 holds three good photos, one named in Latin-1 bytes, one dated 2099, and the bad ones."""
    cam = root / "S1"
    make_jpeg(cam / "a.jpg", when=T0)
    make_jpeg(cam / "b.jpg", when=T0 + dt.timedelta(days=20))
    good = make_jpeg(root / "latin.src", when=T0 + dt.timedelta(days=1))
    with open(os.path.join(os.fsencode(cam), b"caf\xe9.jpg"), "wb") as fh:
        fh.write(good.read_bytes())
    good.unlink()
    make_jpeg(cam / "clock.jpg", when=dt.datetime(2099, 1, 1, 0, 0, 7))
    os.mkfifo(cam / "x.jpg")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(cam / "sock.jpg"))
    sock.close()  # the socket file stays behind, as after a crashed program
    whole = make_jpeg(root / "whole.src", when=T0, size=(320, 240)).read_bytes()
    (cam / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    (root / "whole.src").unlink()
    (cam / "page.jpg").write_text("<html><body>404 Not Found</body></html>")
    (cam / "empty.JPG").write_bytes(b"")
    os.symlink(cam / "gone.jpg", cam / "dangling.jpg")
    return root


def check_summary(failed: list[dict], implausible: list[dict], ingested: int) -> None:
    reasons: dict[str, list[str]] = {}
    for problem in failed:
        reasons.setdefault(problem["path"].rsplit("/", 1)[-1], []).append(problem["reason"])
    assert set(reasons) == set(BAD)
    for name, expected in BAD.items():
        (reason,) = reasons[name]  # exactly one reason per bad file
        assert expected in reason
        assert "0x" not in reason and "object at" not in reason
    assert ingested == 4  # a, b, clock and the Latin-1 name
    (odd,) = implausible
    assert odd["path"].endswith("S1/clock.jpg")
    assert "2099-01-01 00:00:07 is in the future" in odd["reason"]


def test_the_bad_folder_ingests_fully(url, tmp_path):
    root = build_bad_folder(tmp_path / "bad")
    summary = ingest_folder(root, url=url).as_dict()
    check_summary(summary["failed"], summary["implausible"], summary["ingested"])
    with db.session_scope(url) as s:
        stored = {i.path.rsplit("/", 1)[-1]: i for i in s.scalars(select(Image))}
        dep = s.scalars(select(Deployment)).one()
        deps = load_deployments(s)
    assert set(stored) == {"a.jpg", "b.jpg", "clock.jpg", "caf\uf7e9.jpg"}
    assert paths.resolve(stored["caf\uf7e9.jpg"].path).is_file()  # opens again
    assert stored["clock.jpg"].time_problem == "in the future"
    assert stored["clock.jpg"].captured_at == dt.datetime(2099, 1, 1, 0, 0, 7)  # kept, not lost
    # The 2099 photo does not stretch the deployment: 20 trap nights, not 27,000.
    assert (dep.start, dep.end) == (T0, T0 + dt.timedelta(days=20))
    assert trap_nights(deps)["trap_nights"].tolist() == [20.0]
    again = ingest_folder(root, url=url)
    assert (again.ingested, again.duplicates, len(again.failed)) == (0, 4, len(BAD))


def test_the_bad_folder_ingests_fully_from_the_cli(url, tmp_path):
    root = build_bad_folder(tmp_path / "bad")
    env = {**os.environ, "DEERTRACK_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "deertrack_cli.main", "ingest", str(root), "--json", "--no-progress"],
        capture_output=True, env=env, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr.decode()  # some files failed, the run completed
    summary = json.loads(done.stdout)
    check_summary(summary["failed"], summary["implausible"], summary["ingested"])
    text = subprocess.run(
        [sys.executable, "-m", "deertrack_cli.main", "ingest", str(root), "--no-progress"],
        capture_output=True, env=env, timeout=300, cwd=ROOT,
    )  # fmt: skip
    out = text.stdout.decode("utf-8")
    assert "failed: S1/x.jpg: a FIFO (named pipe)" in out
    assert "ingested 0, duplicate 4, failed 6" in out


def test_the_bad_folder_ingests_fully_as_a_job(engine, db_url, tmp_path, monkeypatch):
    from deertrack_core.jobstatus import get_store
    from jobs import config, tasks

    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    config.configure()
    try:
        root = build_bad_folder(tmp_path / "bad")
        job_id = tasks.enqueue_ingest(root)
        status = get_store().get(job_id)
    finally:
        monkeypatch.undo()
        config.configure()
    assert status.status == "completed", status.message
    result = status.result["ingest"]
    check_summary(result["failed"], result["implausible"], result["ingested"])


@pytest.mark.parametrize("deployment_end", ["2024-10-10"])
def test_photos_outside_declared_dates_are_flagged_not_let_in(url, tmp_path, deployment_end):
    root = tmp_path / "cams"
    make_jpeg(root / "S1" / "a.jpg", when=T0)
    make_jpeg(root / "S1" / "late.jpg", when=T0 + dt.timedelta(days=30))
    csv = tmp_path / "deployments.csv"
    csv.write_text(f"station,start,end\nS1,2024-10-01,{deployment_end}\n")
    summary = ingest_folder(root, url=url, deployments_csv=csv)
    (late,) = summary.implausible
    assert late.path.endswith("S1/late.jpg") and "after the deployment's end" in late.reason
    with db.session_scope(url) as s:
        dep = s.scalars(select(Deployment)).one()
    assert (dep.start, dep.end, dep.span_declared) == (
        dt.datetime(2024, 10, 1), dt.datetime(2024, 10, 10), True,
    )  # fmt: skip

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sqlalchemy import func, select

from deertrack_core.models import BackfillProgress, Detection, ReidSimilarityScore
from deertrack_core.reid import prototypes as p
from deertrack_core.reid.backfill import backfill
from tests.conftest import ROOT

from .builders import MODEL, Archive, near, unit

DIM = 24


@pytest.fixture
def archive(monkeypatch, engine, session):
    """5 deer with 1..5 reviewed sightings (15 detections), one rejected, one pending."""
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.7")
    rng = np.random.default_rng(5)
    arc = Archive(session)
    deer = [arc.deer() for _ in range(5)]
    for n, (d, c) in enumerate(zip(deer, unit(rng, 5, DIM), strict=True), start=1):
        for v in near(rng, c, n, 0.3):
            arc.detection(v, deer=d, status="confirmed" if n % 2 else "auto")
    arc.detection(unit(rng, 1, DIM)[0], deer=deer[0], status="rejected")
    arc.detection(unit(rng, 1, DIM)[0])
    session.commit()
    return arc, deer


def _rows(session, run_id):
    return {
        (r.detection_id, r.deer_id): (round(r.similarity_score, 5), r.matched)
        for r in session.scalars(
            select(ReidSimilarityScore).where(ReidSimilarityScore.run_id == run_id)
        )
    }


def test_scores_every_identified_detection_against_every_deer(archive, session):
    summary = backfill()
    # 15 detections x 5 deer, less the lone sighting of the first deer against itself.
    assert (summary.detections, summary.deer, summary.scores_written) == (15, 5, 74)
    assert len(_rows(session, summary.run_id)) == 74
    assert summary.run_id.startswith("backfill-")


def test_scores_leave_the_detection_out_of_its_own_deer(archive, session):
    summary = backfill()
    dets = session.execute(
        select(Detection.id, Detection.deer_id)
        .where(Detection.deer_id.is_not(None), Detection.match_status != "rejected")
        .order_by(Detection.id)
    ).all()
    arc, _ = archive
    from deertrack_core.reid.scores import cached_vectors

    vec = cached_vectors(session, MODEL)
    ids, expected = p.leave_one_out_scores(
        np.stack([vec[d] for d, _ in dets]), np.array([k for _, k in dets])
    )
    rows = _rows(session, summary.run_id)
    for i, (d, k) in enumerate(dets):
        for j, deer in enumerate(ids):
            if np.isnan(expected[i, j]):
                assert (d, int(deer)) not in rows
            else:
                score, matched = rows[(d, int(deer))]
                assert score == pytest.approx(float(expected[i, j]), abs=1e-4)
                assert matched == (int(deer) == k)


def test_running_twice_writes_nothing_new(archive, session):
    first = backfill()
    again = backfill()
    assert again.run_id == first.run_id
    assert (again.processed, again.already_done, again.scores_written) == (0, 15, 0)
    assert session.scalar(select(func.count()).select_from(ReidSimilarityScore)) == 74


def test_resumes_after_a_failure_with_the_same_final_rows(archive, session):
    full = backfill(run_id="full", batch_size=4)

    class Stop(Exception):
        pass

    def fail_after_two_batches(done, total, message=""):
        if done >= 8:
            raise Stop

    with pytest.raises(Stop):
        backfill(run_id="resumed", batch_size=4, progress=fail_after_two_batches)
    assert session.scalar(select(func.count()).select_from(BackfillProgress).where(
        BackfillProgress.run_id == "resumed")) == 8  # fmt: skip
    again = backfill(run_id="resumed", batch_size=4)
    assert (again.already_done, again.processed) == (8, 7)
    assert _rows(session, "resumed") == _rows(session, full.run_id)


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from deertrack_core.reid.backfill import backfill
    calls = []
    def progress(done, total, message=""):
        calls.append(done)
        if len(calls) == 3:  # the start, then two committed batches
            os.kill(os.getpid(), signal.SIGKILL)
    backfill(sys.argv[1], run_id="killed", batch_size=4, progress=progress)
    """
)


def test_resumes_after_the_process_is_killed(archive, session, db_url):
    full = backfill(run_id="full", batch_size=4)
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, db_url], cwd=ROOT, env=os.environ.copy(), capture_output=True
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    resumed = backfill(run_id="killed", batch_size=4)
    assert (resumed.already_done, resumed.processed) == (8, 7)
    assert _rows(session, "killed") == _rows(session, full.run_id)


def test_a_new_review_starts_a_new_run(archive, session):
    first = backfill()
    arc, deer = archive
    arc.detection(unit(np.random.default_rng(9), 1, DIM)[0], deer=deer[0])
    session.commit()
    second = backfill()
    assert second.run_id != first.run_id and second.processed == 16


def test_reports_progress_up_to_the_total(archive):
    seen = []
    backfill(batch_size=6, progress=lambda d, t, m="": seen.append((d, t)))
    assert seen[0] == (0, 15) and seen[-1] == (15, 15) and len(seen) == 4


def test_max_prototype_backfill(archive, session):
    summary = backfill(prototype="max")
    assert summary.scores_written == 74 and summary.prototype == "max"


def test_empty_archive_backfills_nothing(engine, monkeypatch):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    summary = backfill()
    assert (summary.detections, summary.scores_written) == (0, 0)

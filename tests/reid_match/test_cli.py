import numpy as np
import pytest

from deertrack_cli.main import main

from .builders import MODEL, Archive, near, unit


@pytest.fixture
def archive(monkeypatch, engine, session):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.8")
    rng = np.random.default_rng(4)
    arc = Archive(session)
    centre = unit(rng, 2, 16)
    for c in centre:
        d = arc.deer()
        for v in near(rng, c, 3, 0.05):
            arc.detection(v, deer=d)
    arc.detection(near(rng, centre[0], 1, 0.05)[0])
    arc.detection(unit(rng, 1, 16)[0])
    session.commit()


def test_reid_command_prints_a_summary(archive, capsys):
    assert main(["reid"]) == 0
    out = capsys.readouterr().out
    assert "matched 2 detections in 2 tracks against 2 known deer" in out
    assert "auto 1, new individuals 0, proposed for review 1" in out


def test_reid_command_can_create_new_individuals(archive, capsys):
    assert main(["reid", "--new-individuals", "create"]) == 0
    assert "new individuals 1" in capsys.readouterr().out


def test_backfill_command_is_resumable_and_idempotent(archive, capsys):
    assert main(["backfill", "--batch-size", "2"]) == 0
    assert "scores written: 12 in 3 batches" in capsys.readouterr().out
    assert main(["backfill"]) == 0
    assert "0 scored now, 6 already done" in capsys.readouterr().out


def test_backfill_command_refuses_a_zero_batch(engine, capsys):
    assert main(["backfill", "--batch-size", "0"]) == 2
    assert "--batch-size must be at least 1" in capsys.readouterr().out

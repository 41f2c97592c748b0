"""Real JPEG crops through the real MobileNetV2: match, backfill and calibrate from the cache."""

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from deertrack_core.models import Detection, Embedding
from deertrack_core.reid.backfill import backfill
from deertrack_core.reid.calibration import ThresholdCalibrator, evidence_pairs
from deertrack_core.reid.matching import match_pending

from .builders import Archive

MODEL = "mobilenetv2-imagenet"


def _photo(path, pattern: np.ndarray, seed: int) -> None:
    """A 640x480 photo of one 'animal' pattern with its own noise and brightness."""
    rng = np.random.default_rng(seed)
    big = np.asarray(Image.fromarray(pattern).resize((640, 480), Image.Resampling.BICUBIC))
    noisy = big.astype(np.int16) + rng.integers(-12, 13, size=big.shape) + rng.integers(-15, 16)
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, quality=90)


@pytest.mark.slow
def test_real_crops_are_embedded_matched_and_backfilled(engine, session, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    monkeypatch.setenv("DEERTRACK_DEVICE", "cpu")
    monkeypatch.setenv("DEERTRACK_NEW_INDIVIDUALS", "create")
    rng = np.random.default_rng(0)
    patterns = [rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8) for _ in range(3)]
    arc = Archive(session, model=MODEL)
    known = [arc.deer(f"D{i}") for i in range(2)]
    seed = 0

    def sighting(pattern, **kw):
        nonlocal seed
        det = arc.detection(None, **kw)
        seed += 1
        _photo(tmp_path / det.image.path, pattern, seed)
        return det

    for d, pattern in zip(known, patterns[:2], strict=True):
        for _ in range(3):
            sighting(pattern, deer=d)
    again = sighting(patterns[1])
    stranger = [sighting(patterns[2]) for _ in range(2)]
    session.commit()

    summary = match_pending(threshold=0.9)
    session.expire_all()
    assert session.get(Detection, again.id).deer_id == known[1].id
    first, second = (session.get(Detection, s.id) for s in stranger)
    assert (first.match_status, second.match_status) == ("new", "auto")
    assert second.deer_id == first.deer_id
    assert (summary.auto, summary.new, summary.skipped) == (2, 1, 0)
    cached = session.scalar(select(func.count()).select_from(Embedding))
    assert cached == 9  # every detection embedded once, gallery included

    filled = backfill()
    assert filled.model == MODEL and filled.scores_written == 27
    assert session.scalar(select(func.count()).select_from(Embedding)) == cached

    scores, same = evidence_pairs(session)
    cal = ThresholdCalibrator(goal="youden").fit(scores, same)
    assert cal.roc_.auc > 0.9

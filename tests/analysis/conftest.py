"""Fixtures: the small report archive, and a season whose later weeks the real matcher identified."""

import numpy as np
import pytest

from deertrack_core.reid.matching import match_pending
from tests.reid_match.builders import Archive, near, unit
from tests.reports.conftest import archive, make_request  # noqa: F401 - shared fixtures

MODEL = "test-model"


@pytest.fixture
def season(session, monkeypatch):
    """Five deer reviewed in the first fortnight, then four weeks matched by the machine."""
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    rng = np.random.default_rng(4)
    centres = unit(rng, 5, 16)
    arc = Archive(session, model=MODEL)
    herd = [arc.deer(f"D{i}") for i in range(5)]
    minutes = lambda week, i: week * 7 * 1440 + i * 97  # noqa: E731
    for k, (deer, centre) in enumerate(zip(herd, centres, strict=True)):
        for week in (0, 1):
            arc.detection(near(rng, centre, 1, 0.05)[0], deer=deer, minutes=minutes(week, k))
    for week in range(2, 6):
        for k in rng.choice(5, size=3, replace=False):
            arc.detection(near(rng, centres[k], 1, 0.05)[0], minutes=minutes(week, int(k)))
    session.commit()
    summary = match_pending(threshold=0.9, new_individuals="create")
    assert summary.auto > 0
    return {"herd": herd, "weeks": 6}

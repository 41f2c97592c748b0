"""A small demo season, generated once per test session (a few seconds) and shared read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL = {"seed": 3, "n_deer": 5, "n_cameras": 2, "visits_per_deer": 6.0}


@pytest.fixture(scope="session")
def small_season(tmp_path_factory):
    from deertrack_core.demo import generate_season

    out: Path = tmp_path_factory.mktemp("demo") / "season"
    return generate_season(out, **SMALL)

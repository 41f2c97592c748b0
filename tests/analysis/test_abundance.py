"""The simple estimators: every interval contains its estimate, degenerate cases say why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deertrack_core.analysis import abundance


def test_chapman_that_every_deer_was_recaptured_gives_no_interval_and_says_why():
    # The demo season's "21 – 21": all 21 deer of the first half, 11 of them seen again.
    h = pd.DataFrame([[1, 1]] * 11 + [[1, 0]] * 10)
    est = abundance.lincoln_petersen(h)
    assert est.estimate == 21.0
    assert est.lower is None and est.upper is None
    assert "variance is 0" in est.note and "no sampling interval" in est.note


def test_chapman_by_hand_with_chaos_lognormal_interval():
    # n1 = 10, n2 = 12, m2 = 4: N = 11 * 13 / 5 - 1 = 27.6; seen = 18, f0 = 9.6
    h = pd.DataFrame([[1, 1]] * 4 + [[1, 0]] * 6 + [[0, 1]] * 8)
    est = abundance.lincoln_petersen(h)
    assert est.estimate == pytest.approx(27.6)
    _, var = abundance.chapman(10, 12, 4)
    c = np.exp(1.959964 * np.sqrt(np.log(1 + var / 9.6**2)))
    assert est.lower == pytest.approx(round(18 + 9.6 / c, 1))
    assert est.upper == pytest.approx(round(18 + 9.6 * c, 1))
    assert 18 <= est.lower < est.estimate < est.upper


def test_chapman_without_a_second_sample_is_not_estimable():
    est = abundance.lincoln_petersen(pd.DataFrame([[1, 0], [1, 0]]))
    assert est.estimate is None and "second half" in est.note


def test_schnabel_interval_uses_exact_poisson_limits():
    lo, hi = abundance.poisson_limits(3)
    assert lo == pytest.approx(0.6186, abs=1e-4)  # Garwood (1936) limits for a count of 3
    assert hi == pytest.approx(8.7673, abs=1e-4)
    assert abundance.poisson_limits(0) == (0.0, pytest.approx(3.6889, abs=1e-4))


def test_schnabel_that_falls_below_the_deer_seen_is_held_there_and_keeps_its_interval():
    # Everyone caught every time: C = 3, M = 0,3,3,3, R = 9 -> 27 / 10 = 2.7 for 3 deer.
    est = abundance.schnabel(pd.DataFrame(np.ones((3, 4), dtype=int)))
    assert est.estimate == 3.0
    assert est.lower == 3.0 and est.upper >= 3.0
    assert "the formula gives 2.7" in est.note


def test_minimum_known_alive_says_it_is_a_count():
    est = abundance.minimum_known_alive(pd.DataFrame([[1, 0], [0, 1]]))
    assert est.estimate == 2.0 and est.lower is None
    assert "a count" in est.note


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 7).flatmap(
        lambda k: st.lists(
            st.lists(st.integers(0, 1), min_size=k, max_size=k), min_size=1, max_size=30
        )  # fmt: skip
    )
)
def test_every_interval_contains_its_estimate_or_says_why_there_is_none(rows):
    h = pd.DataFrame(rows)
    seen = int((h.sum(axis=1) > 0).sum())
    for est in abundance.estimates(h):
        if est.lower is not None:
            assert est.lower <= est.estimate <= est.upper
            assert est.lower >= seen
        else:
            assert est.note

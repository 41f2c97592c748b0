"""Closed-population likelihood models against published worked examples and by simulation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from deertrack_core.analysis import closed
from deertrack_core.analysis.closed import CaptureData

#: Snowshoe hares (Cormack 1989; Rcapture's ``hare``): 68 hares over 6 occasions, from
#: ``descriptive(hare)``: n_t caught on occasion t, u_t first caught on t, f_j caught j times.
HARE = CaptureData.from_summary(
    n_t=[16, 28, 20, 26, 23, 32], u_t=[16, 24, 9, 9, 6, 4], f_j=[25, 22, 13, 5, 1, 2]
)
#: Seber (1982, p. 107), two samples: 167 caught in both, 781 only in the first, 254 only in
#: the second.
SEBER = CaptureData.from_matrix(np.array([[1, 1]] * 167 + [[1, 0]] * 781 + [[0, 1]] * 254))


@pytest.mark.parametrize(
    ("model", "n_hat", "se"),
    [("M0", 75.4, 3.5), ("Mt", 75.1, 3.4), ("Mb", 81.1, 8.3)],
)
def test_hare_matches_rcapture_closedp(model, n_hat, se):
    # Rcapture's tests/Examples output of closedp.t(hare): abundance and stderr, one decimal.
    fit = closed.fit(model, HARE)
    assert fit.n_hat == pytest.approx(n_hat, abs=0.05)
    assert fit.se == pytest.approx(se, abs=0.05)


@pytest.mark.parametrize(
    ("model", "n_hat", "se"),
    [("M0", 2805.6, 164.1), ("Mt", 2389.9, 130.4), ("Mb", 1295.0, 17.3)],
)
def test_two_samples_match_seber_and_rcapture(model, n_hat, se):
    fit = closed.fit(model, SEBER)
    assert fit.n_hat == pytest.approx(n_hat, abs=0.05)
    assert fit.se == pytest.approx(se, abs=0.05)


def test_two_sample_mt_is_lincoln_petersen_and_mb_is_the_removal_estimate():
    n1, n2, m2 = 948, 421, 167
    assert closed.fit("Mt", SEBER).n_hat == pytest.approx(n1 * n2 / m2, rel=1e-6)
    u1, u2 = 948, 254
    assert closed.fit("Mb", SEBER).n_hat == pytest.approx(u1**2 / (u1 - u2), rel=1e-6)


def test_m0_and_mt_solve_the_classical_equations():
    k, m, caps = HARE.occasions, HARE.seen, HARE.captures
    m0 = closed.fit("M0", HARE).n_hat
    # Otis et al. (1978): (1 - n./(K N))^K = 1 - M/N
    assert (1 - caps / (k * m0)) ** k == pytest.approx(1 - m / m0, abs=1e-6)
    mt = closed.fit("Mt", HARE).n_hat
    # Darroch (1958): prod(1 - n_t/N) = 1 - M/N
    assert np.prod(1 - HARE.n_t / mt) == pytest.approx(1 - m / mt, abs=1e-6)


def _brute_force_mh2(d: CaptureData, histories: np.ndarray, n: float, pi, p1, p2) -> float:
    """Mh2 log-likelihood summed over explicit capture histories (no sufficient statistics)."""
    k = histories.shape[1]
    ll = n * math.log(n) - (n - d.seen) * math.log(n - d.seen) - d.seen
    for h in histories:
        j = int(h.sum())
        ll += math.log(pi * p1**j * (1 - p1) ** (k - j) + (1 - pi) * p2**j * (1 - p2) ** (k - j))
    never = pi * (1 - p1) ** k + (1 - pi) * (1 - p2) ** k
    return ll + (n - d.seen) * math.log(never)


def test_mh2_likelihood_equals_the_sum_over_histories():
    rng = np.random.default_rng(3)
    h = (rng.random((30, 4)) < 0.4).astype(int)
    h = h[h.any(axis=1)]
    d = CaptureData.from_matrix(h)
    theta = np.array([math.log(6.0), 0.3, 0.8, -1.2])
    ll, _, params = closed._mh2_terms(d, theta)
    assert ll == pytest.approx(
        _brute_force_mh2(d, h, d.seen + 6.0, params["pi"], params["p1"], params["p2"]), rel=1e-10
    )


def test_mh2_gradient_is_the_derivative_of_its_likelihood():
    theta = np.array([1.5, 0.2, 0.4, -1.0])
    err = optimize.check_grad(lambda x: closed._mh2_nll(x, HARE)[0],
                              lambda x: closed._mh2_nll(x, HARE)[1], theta)  # fmt: skip
    assert err < 1e-3


def test_mh2_with_equal_groups_is_m0_and_fits_at_least_as_well():
    m0 = closed.fit("M0", HARE)
    p = m0.params["p"]
    theta = np.array([m0.log_f0, 0.0, math.log(p / (1 - p)), math.log(p / (1 - p))])
    assert closed._mh2_terms(HARE, theta)[0] == pytest.approx(m0.loglik, rel=1e-9)
    mh2 = closed.fit("Mh2", HARE)
    assert mh2.loglik >= m0.loglik - 1e-6
    # The two hares caught on all six occasions make a small group of their own.
    assert min(mh2.params["pi"], 1 - mh2.params["pi"]) < 0.1


def test_aicc_ranks_models_and_weights_sum_to_one():
    fits = closed.fit_all(HARE)
    assert [f.model for f in fits][0] == "Mh2"  # the heterogeneity Rcapture also finds
    assert fits[0].delta_aicc == 0.0
    assert sum(f.weight for f in fits) == pytest.approx(1.0)
    k = {f.model: f.k for f in fits}
    assert k == {"M0": 2, "Mt": 7, "Mb": 3, "Mh2": 4}
    m0 = next(f for f in fits if f.model == "M0")
    n_eff = HARE.seen * HARE.occasions
    assert m0.aicc == pytest.approx(-2 * m0.loglik + 4 + 12 / (n_eff - 3))


@pytest.mark.parametrize("model", closed.MODELS)
@pytest.mark.parametrize("interval", ["lognormal", "profile"])
def test_intervals_contain_their_estimate_and_never_go_below_the_deer_seen(model, interval):
    fit = closed.fit(model, HARE, interval=interval)
    assert HARE.seen <= fit.lower < fit.n_hat < fit.upper


def test_profile_and_lognormal_intervals_agree_roughly_on_the_hare_data():
    log = closed.fit("M0", HARE)
    prof = closed.fit("M0", HARE, interval="profile")
    assert prof.lower == pytest.approx(log.lower, rel=0.05)
    assert prof.upper == pytest.approx(log.upper, rel=0.05)


def test_no_recapture_is_not_estimable_and_says_why():
    d = CaptureData.from_matrix(np.eye(5, dtype=int))
    for model in closed.MODELS:
        fit = closed.fit(model, d)
        assert fit.n_hat is None and fit.lower is None
        assert "no deer was seen on two occasions" in fit.note


def test_everyone_caught_every_time_is_a_degenerate_interval_with_a_reason():
    d = CaptureData.from_matrix(np.ones((12, 4), dtype=int))
    fit = closed.fit("M0", d)
    assert fit.n_hat == pytest.approx(12.0)
    assert fit.lower is None and "degenerate" in fit.note


def test_one_occasion_needs_more():
    fit = closed.fit("M0", CaptureData.from_matrix(np.ones((5, 1), dtype=int)))
    assert fit.n_hat is None and "two or more occasions" in fit.note


def test_summary_statistics_must_be_consistent():
    with pytest.raises(ValueError, match="do not describe one capture history"):
        CaptureData.from_summary([3, 3], [2, 2], [1, 1])


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="model must be one of"):
        closed.fit("Mth", HARE)


histories = st.integers(2, 6).flatmap(
    lambda k: st.lists(
        st.lists(st.integers(0, 1), min_size=k, max_size=k), min_size=2, max_size=25
    )  # fmt: skip
)


@settings(max_examples=60, deadline=None)
@given(histories)
def test_every_estimable_interval_contains_its_estimate(rows):
    d = CaptureData.from_matrix(np.array(rows))
    for model in closed.MODELS:
        fit = closed.fit(model, d)
        if fit.lower is not None:
            assert d.seen <= fit.lower <= fit.n_hat <= fit.upper
        elif fit.n_hat is None or fit.log_f0 is None:
            assert fit.note  # a missing interval always says why


def test_m0_interval_covers_the_true_size_in_simulation():
    """Seeded: 150 populations of 100 deer, 6 occasions, p = 0.3, fitted with M0."""
    rng = np.random.default_rng(11)
    hits = []
    with closed.single_thread():
        for _ in range(150):
            fit = closed.fit("M0", CaptureData.from_matrix(rng.random((100, 6)) < 0.3))
            hits.append(fit.lower <= 100 <= fit.upper)
    assert np.mean(hits) >= 0.9


def test_mh2_finds_two_groups_in_simulated_heterogeneous_captures():
    rng = np.random.default_rng(5)
    p = np.r_[np.full(120, 0.6), np.full(180, 0.12)]
    h = rng.random((300, 8)) < p[:, None]
    fits = {f.model: f for f in closed.fit_all(h)}
    assert fits["Mh2"].aicc < fits["M0"].aicc
    assert fits["Mh2"].lower <= 300 <= fits["Mh2"].upper
    assert fits["M0"].upper < 300  # equal catchability misses the hard-to-catch deer
    groups = sorted([fits["Mh2"].params["p1"], fits["Mh2"].params["p2"]])
    assert groups[0] == pytest.approx(0.12, abs=0.05) and groups[1] == pytest.approx(0.6, abs=0.1)


def test_capture_data_from_matrix_counts():
    h = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 0], [1, 1, 1]])
    d = CaptureData.from_matrix(h)
    assert d.n_t.tolist() == [2, 2, 3]
    assert d.u_t.tolist() == [2, 1, 0]
    assert d.f_j.tolist() == [0, 2, 1]
    assert d.marked_before.tolist() == [0, 2, 3]
    assert list(itertools.accumulate(d.u_t))[-1] == d.seen == 3

"""Identification error in the interval: units, resampling, and coverage by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deertrack_core.analysis import closed, iderror, simulate
from deertrack_core.reid.calibration import InsufficientEvidenceError
from deertrack_core.reid.same_probability import SameProbability, pav


def frame(rows):
    """rows: (detection, deer, status, occasion, track, candidates {deer: score}, gallery)."""
    df = pd.DataFrame(
        [
            (d, deer, status, occ, track,
             [{"deer_id": k, "score": v} for k, v in cands.items()], max(cands.values(),
                                                                          default=None), g)
            for d, deer, status, occ, track, cands, g in rows
        ],
        columns=["detection_id", "deer_id", "match_status", "occasion", "track_id", "candidates",
                 "match_score", "gallery"],
    )  # fmt: skip
    df["provenance"] = np.where(df["match_status"].isin(["auto", "new"]), "automatic",
                                "confirmed")  # fmt: skip
    return df


def lr_of(table: dict[float, float]):
    """A likelihood ratio that is ``table[score]`` (test scores are chosen from its keys)."""
    return lambda scores: np.array([table[round(float(s), 2)] for s in scores])


ROWS = [
    (1, 10, "confirmed", 0, None, {}, 0),
    (2, 10, "auto", 1, 7, {10: 0.95, 11: 0.5}, 2),  # a track of two boxes: one decision
    (3, 10, "auto", 1, 7, {10: 0.95, 11: 0.5}, 2),
    (4, 11, "confirmed", 0, None, {}, 0),
    (5, 12, "new", 2, None, {10: 0.6, 11: 0.8}, 2),  # created deer 12; deer 11 scored 0.8
    (6, 12, "auto", 3, None, {12: 0.9, 10: 0.5}, 3),  # later matched to the created deer
]


def test_units_group_tracks_and_leave_reviewed_identities_fixed():
    units = iderror.build_units(frame(ROWS), lr_of({0.95: 1e6, 0.5: 1e-6, 0.6: 1e-6,
                                                    0.8: 1.0, 0.9: 1e6}), n_occasions=4)  # fmt: skip
    assert units.units == 3  # the track, the created deer, the later match
    assert units.row_unit.tolist() == [-1, 0, 0, -1, 1, 2]
    assert units.created.tolist() == [False, True, False]
    assert units.gallery.tolist() == [2, 2, 3]


def test_certain_evidence_keeps_every_identity():
    lr = lr_of({0.95: 1e9, 0.5: 1e-9, 0.6: 1e-9, 0.8: 1e-9, 0.9: 1e9})
    units = iderror.build_units(frame(ROWS), lr, n_occasions=4)
    units = iderror.MachineUnits(**{**units.__dict__, "population": 3.0})
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert iderror.resample_labels(units, rng).tolist() == [10, 10, 10, 11, 12, 12]


def test_a_created_deer_that_draws_a_candidate_is_merged_with_all_its_sightings():
    lr = lr_of({0.95: 1e9, 0.5: 1e-9, 0.6: 1e-9, 0.8: 1e9, 0.9: 1e9})
    units = iderror.build_units(frame(ROWS), lr, n_occasions=4)
    units = iderror.MachineUnits(**{**units.__dict__, "population": 3.0})
    labels = iderror.resample_labels(units, np.random.default_rng(0))
    assert labels.tolist() == [10, 10, 10, 11, 11, 11]  # deer 12 was deer 11 all along


def test_a_weak_match_splits_off_as_a_deer_of_its_own():
    lr = lr_of({0.95: 1e-9, 0.5: 1e-9, 0.6: 1e-9, 0.8: 1e-9, 0.9: 1e9})
    units = iderror.build_units(frame(ROWS), lr, n_occasions=4)
    units = iderror.MachineUnits(**{**units.__dict__, "population": 30.0})
    labels = iderror.resample_labels(units, np.random.default_rng(0))
    assert labels[1] == labels[2] < 0  # the track moved together, to a new deer
    assert labels[0] == 10


def test_capture_data_from_sightings_matches_the_matrix():
    labels = np.array([5, 5, 7, 9, 9, 9, -1])
    occ = np.array([0, 2, 1, 0, 1, 1, 2])
    d = iderror.capture_data(labels, occ, 3)
    h = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    ref = closed.CaptureData.from_matrix(h)
    assert d.n_t.tolist() == ref.n_t.tolist()
    assert d.u_t.tolist() == ref.u_t.tolist()
    assert d.f_j.tolist() == ref.f_j.tolist()


def test_no_machine_identities_means_no_units():
    rows = [r for r in ROWS if r[2] == "confirmed"]
    units = iderror.build_units(frame(rows), lr_of({}), n_occasions=4)
    assert units.units == 0
    assert iderror.resample_labels(units, np.random.default_rng(0)).tolist() == [10, 11]


def test_same_probability_recovers_the_likelihood_ratio_of_normal_scores():
    rng = np.random.default_rng(0)
    same, diff = rng.normal(0.8, 0.07, 400), rng.normal(0.45, 0.08, 8000)
    scores = np.r_[same, diff]
    fitted = SameProbability().fit(scores, np.r_[np.ones(400), np.zeros(8000)].astype(bool))
    from scipy import stats

    # Where same and different scores overlap (what decides a doubtful identity) the fitted
    # likelihood ratio is within a factor of two of the true one; far above it P(same) ~ 1.
    for s in (0.6, 0.65, 0.7):
        true = stats.norm.pdf(s, 0.8, 0.07) / stats.norm.pdf(s, 0.45, 0.08)
        assert 0.5 < fitted.likelihood_ratio([s])[0] / true < 2.0
    assert fitted.predict([0.8])[0] > 0.99
    p = fitted.predict(np.linspace(-1, 1, 201))
    assert np.all(np.diff(p) >= 0)  # a higher score is never less likely the same deer


def test_isotonic_is_monotone_and_pav_pools_violators():
    assert pav(np.array([1.0, 3.0, 2.0, 4.0])).tolist() == [1.0, 2.5, 2.5, 4.0]
    rng = np.random.default_rng(1)
    s = np.r_[rng.normal(0.8, 0.1, 200), rng.normal(0.4, 0.1, 2000)]
    y = np.r_[np.ones(200), np.zeros(2000)].astype(bool)
    p = SameProbability("isotonic").fit(s, y).predict(np.linspace(0, 1, 50))
    assert np.all(np.diff(p) >= 0) and p[0] < 0.01 and p[-1] > 0.9


def test_same_probability_needs_both_kinds_of_pair():
    with pytest.raises(InsufficientEvidenceError, match="both kinds are needed"):
        SameProbability().fit(np.array([0.9, 0.8]), np.array([True, True]))


#: Both kinds of error at known rates (about 1.4 % false matches and 3.5 % false new
#: individuals per sighting, measured below); bench/id_error_coverage.py runs more scenarios.
SCENARIO = simulate.Scenario(n=60, occasions=6, p=0.25, diff_mean=0.45, diff_sd=0.08,
                             threshold=0.70)  # fmt: skip


@pytest.mark.slow
def test_id_aware_interval_covers_the_true_size_where_the_naive_one_does_not():
    """Seeded simulation: 40 seasons of 60 deer, machine identities with injected errors."""
    rng = np.random.default_rng(20241)
    naive_hits, aware_hits, rates = [], [], []
    for season_no in range(40):
        season = simulate.simulate(SCENARIO, rng)
        rates.append((season.false_match_rate, season.false_new_rate))
        naive = closed.fit("M0", closed.CaptureData.from_matrix(season.history()))
        same = SameProbability().fit(season.evidence_scores, season.evidence_same)
        units = iderror.build_units(season.detections, same.likelihood_ratio,
                                    n_occasions=SCENARIO.occasions)  # fmt: skip
        aware = iderror.id_error_intervals(units, ("M0",), replicates=40, draws=10,
                                           seed=season_no).intervals["M0"]  # fmt: skip
        naive_hits.append(naive.lower <= SCENARIO.n <= naive.upper)
        aware_hits.append(aware.lower <= SCENARIO.n <= aware.upper)
        assert aware.lower <= aware.estimate <= aware.upper
    false_match, false_new = np.mean(rates, axis=0)
    assert 0.005 < false_match < 0.03 and 0.02 < false_new < 0.06  # the injected error rates
    assert np.mean(aware_hits) >= 0.9
    assert np.mean(naive_hits) <= 0.75

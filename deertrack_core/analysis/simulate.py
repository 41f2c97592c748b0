"""Simulated seasons with known truth: a closed population, captures, and a machine that
re-identifies them by similarity score the way DeerTrack's matcher does.

Used by the tests and bench/id_error_coverage.py to check that the intervals keep their promise.

* ``N`` deer, ``K`` occasions; deer ``i`` is caught on an occasion with probability ``p_i``
  (one ``p`` for all, or a two-group mixture for heterogeneity).
* Captures are matched in time order against the labels made so far. A capture's score against a
  label is drawn from the *same* distribution when the label was founded by the same deer and
  from the *different* one otherwise. At or above the threshold the best label is taken (a
  *false match* when its founder is another deer); below it a new label is made (a *false new
  individual* when the deer already had one). The rates follow from the two score
  distributions and the threshold, and are measured in :class:`SimSeason`.
* The ``candidates`` the identification-error resampling reads: a created label's scores
  against the labels older than it; a matched capture's against every label (later ones drawn
  afresh), as DeerTrack rescores machine identities against every deer's prototype.
* Reviewed evidence (sightings scored against their own deer and the others, with the truth)
  is drawn from the same two distributions: what a
  :class:`~deertrack_core.reid.same_probability.SameProbability` is fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scenario:
    n: int = 40
    occasions: int = 8
    p: float = 0.3
    #: heterogeneity: a share ``p_low_share`` of the deer is caught with ``p_low`` instead of p
    p_low: float | None = None
    p_low_share: float = 0.0
    same_mean: float = 0.80
    same_sd: float = 0.07
    diff_mean: float = 0.50
    diff_sd: float = 0.10
    threshold: float = 0.74
    candidates: int = 5
    #: the reviewed evidence: this many reviewed sightings, each scored against its own deer
    #: and ``evidence_deer - 1`` others (the demo season has ~230 against 21 deer)
    evidence_sightings: int = 200
    evidence_deer: int = 25


@dataclass(frozen=True)
class SimSeason:
    """One simulated season: the machine's identities, the truth and the evidence."""

    detections: pd.DataFrame  # detection_id, occasion, true_id, deer_id, match_status, ...
    evidence_scores: np.ndarray
    evidence_same: np.ndarray
    false_match_rate: float  # auto matches whose label belongs to another deer / captures
    false_new_rate: float  # new labels for a deer that already had one / captures
    true_n: int

    def history(self, truth: bool = False) -> np.ndarray:
        """Deer × occasion 0/1 matrix (machine labels, or the true identities)."""
        col = "true_id" if truth else "deer_id"
        k = int(self.detections.attrs["occasions"])
        ids = self.detections[col].to_numpy()
        labels, row = np.unique(ids, return_inverse=True)
        h = np.zeros((len(labels), k), dtype=np.int8)
        h[row, self.detections["occasion"].to_numpy()] = 1
        return h


def _rescore(df: pd.DataFrame, scored: list[np.ndarray], founders: list[int], s: Scenario,
             rng: np.random.Generator) -> pd.DataFrame:  # fmt: skip
    """Each capture's scores as the resampling reads them: a created label against the labels
    older than it (its decision's scores); a matched capture against every label, the older
    ones with its decision's scores and the later ones freshly drawn."""
    f = np.asarray(founders, dtype=np.int64)
    lists, sizes = [], []
    for true, status, scores in zip(df["true_id"], df["match_status"], scored, strict=True):
        if status == "auto" and len(f) > len(scores):
            later = f[len(scores) :] == true
            fresh = np.where(later, rng.normal(s.same_mean, s.same_sd, len(later)),
                             rng.normal(s.diff_mean, s.diff_sd, len(later)))  # fmt: skip
            scores = np.r_[scores, np.clip(fresh, -1.0, 1.0)]
        lists.append([{"deer_id": j, "score": float(v)} for j, v in enumerate(scores)])
        sizes.append(len(scores))
    return df.assign(candidates=lists, gallery=sizes)


def simulate(scenario: Scenario, rng: np.random.Generator) -> SimSeason:
    """One season under ``scenario`` (see the module docstring)."""
    s = scenario
    p = np.full(s.n, s.p)
    if s.p_low is not None and s.p_low_share > 0:
        p[: int(round(s.n * s.p_low_share))] = s.p_low
    caught = rng.random((s.n, s.occasions)) < p[:, None]
    occ, deer_of = np.nonzero(caught.T)  # occasion-major: time order, shuffled within
    order = np.lexsort((rng.random(len(occ)), occ))
    occasion, true_id = occ[order], deer_of[order]
    founders: list[int] = []  # label index -> founding deer
    rows = []
    scored: list[np.ndarray] = []
    false_match = false_new = 0
    has_label = np.zeros(s.n, dtype=bool)
    for c, (t, deer) in enumerate(zip(occasion, true_id, strict=True)):
        f = np.asarray(founders, dtype=np.int64)
        same = f == deer
        scores = np.where(same, rng.normal(s.same_mean, s.same_sd, len(f)),
                          rng.normal(s.diff_mean, s.diff_sd, len(f)))  # fmt: skip
        scores = np.clip(scores, -1.0, 1.0)
        top = np.argsort(-scores)[: s.candidates]
        candidates = [{"deer_id": int(j), "score": float(scores[j])} for j in top]
        if len(f) and scores[top[0]] >= s.threshold:
            label, status, best = int(top[0]), "auto", float(scores[top[0]])
            false_match += int(f[label] != deer)
        else:
            label, status = len(founders), "new"
            best = float(scores[top[0]]) if len(f) else None
            false_new += int(has_label[deer])
            founders.append(int(deer))
            has_label[deer] = True
        rows.append((c + 1, int(t), int(deer), label, status, candidates, best, len(f)))
        scored.append(scores)
    df = pd.DataFrame(rows, columns=["detection_id", "occasion", "true_id", "deer_id",
                                     "match_status", "candidates", "match_score",
                                     "gallery"])  # fmt: skip
    df = _rescore(df, scored, founders, s, rng)
    df["provenance"] = "automatic"
    df["track_id"] = None
    df.attrs["occasions"] = s.occasions
    n_caps = max(len(df), 1)
    ev_same = np.zeros((s.evidence_sightings, s.evidence_deer), dtype=bool)
    ev_same[:, 0] = True
    ev = np.where(ev_same, rng.normal(s.same_mean, s.same_sd, ev_same.shape),
                  rng.normal(s.diff_mean, s.diff_sd, ev_same.shape))  # fmt: skip
    return SimSeason(
        df,
        np.clip(ev, -1.0, 1.0).ravel(),
        ev_same.ravel(),
        false_match / n_caps,
        false_new / n_caps,
        s.n,
    )

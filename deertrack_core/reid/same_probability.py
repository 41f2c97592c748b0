"""Score → probability that two sightings are the same deer, fitted on reviewed evidence.

The evidence is the same/different score pairs of :func:`calibration.evidence_pairs` (reviewed
detections against every deer's prototype, each left out of its own). A similarity score is not
a probability; this turns it into one so that machine identities can carry their uncertainty:

* ``logistic`` (default): a logistic regression on the score and its square,
  ``P = 1 / (1 + exp(-(a + b·s + c·s²)))`` — what same and different scores each spread normally
  with their own width imply (a straight logit, Platt scaling, cannot follow that and
  understated the evidence of a score just below the threshold several-fold in simulations);
  held flat beyond its turning point so that a higher score never means less likely the same;
* ``isotonic``: the pool-adjacent-violators fit, monotone and free-form, for large evidence.

scikit-learn style (``fit`` returns self, learned attributes end in ``_``), numpy and scipy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, special

from deertrack_core.reid.calibration import both_kinds

METHODS = ("logistic", "isotonic")
#: Probabilities are kept inside (EPS, 1 - EPS) so odds stay finite.
EPS = 1e-6


def pav(y: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Pool-adjacent-violators: the non-decreasing sequence closest to ``y`` (least squares)."""
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(y) if weight is None else np.asarray(weight, dtype=np.float64)
    means, weights, sizes = [], [], []
    for v, wt in zip(y, w, strict=True):
        means.append(v)
        weights.append(wt)
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            m2, w2, s2 = means.pop(), weights.pop(), sizes.pop()
            total = weights[-1] + w2
            means[-1] = (means[-1] * weights[-1] + m2 * w2) / total
            weights[-1] = total
            sizes[-1] += s2
    return np.repeat(means, sizes)


class SameProbability:
    """Fit ``P(same deer | score)`` on reviewed pairs; ``predict`` maps scores to it."""

    def __init__(self, method: str = "logistic", model: str = "") -> None:
        self.method = method
        self.model = model

    def fit(self, scores: np.ndarray, same: np.ndarray) -> SameProbability:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {self.method!r}")
        scores, same, n_same = both_kinds(scores, same)
        self.n_same_, self.n_different_ = n_same, len(same) - n_same
        if self.method == "logistic":
            self.coef_ = self._fit_logistic(scores, same.astype(np.float64))
        else:
            order = np.argsort(scores, kind="stable")
            xs, ys = scores[order], pav(same[order].astype(np.float64))
            # One knot per run of equal fitted values (its mean score): interpolation between
            # them keeps the curve monotone without steps at every pair.
            knots = np.r_[0, np.flatnonzero(np.diff(ys)) + 1, len(ys)]
            self.knots_x_ = np.array(
                [xs[a:b].mean() for a, b in zip(knots[:-1], knots[1:], strict=True)]
            )
            self.knots_y_ = np.array([ys[a] for a in knots[:-1]])
        return self

    @staticmethod
    def _fit_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        centre, scale = float(x.mean()), float(x.std() or 1.0)
        z = (x - centre) / scale
        design = np.column_stack([np.ones_like(z), z, z * z])
        ridge = 1e-3  # keeps the fit finite when the evidence separates perfectly

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            eta = design @ w
            nll = float(np.sum(np.logaddexp(0.0, eta) - y * eta)) + ridge * float(w[1:] @ w[1:])
            grad = design.T @ (special.expit(eta) - y)
            grad[1:] += 2 * ridge * w[1:]
            return nll, grad

        w = optimize.minimize(loss, np.zeros(3), jac=True, method="BFGS").x
        # back to the raw score: eta = a + b·s + c·s²
        c = w[2] / scale**2
        b = w[1] / scale - 2 * w[2] * centre / scale**2
        a = w[0] - w[1] * centre / scale + w[2] * centre**2 / scale**2
        return np.array([a, b, c])

    def _eta(self, s: np.ndarray) -> np.ndarray:
        a, b, c = self.coef_
        if c != 0.0:
            # Beyond the parabola's turning point hold the value: monotone in the score.
            turn = -b / (2 * c)
            s = np.minimum(s, turn) if c < 0 else np.maximum(s, turn)
        return a + b * s + c * s * s

    def predict(self, scores) -> np.ndarray:
        """``P(same deer)`` for each score, inside ``(EPS, 1 - EPS)``; NaN stays NaN."""
        s = np.asarray(scores, dtype=np.float64)
        if self.method == "logistic":
            p = special.expit(self._eta(s))
        else:
            p = np.interp(s, self.knots_x_, self.knots_y_)
        return np.where(np.isnan(s), np.nan, np.clip(p, EPS, 1 - EPS))

    def likelihood_ratio(self, scores) -> np.ndarray:
        """``f(score | same) / f(score | different)``: the fitted odds divided by the prior odds
        of the evidence (its share of same-deer pairs), so it no longer depends on how many
        deer each detection was compared with."""
        p = self.predict(scores)
        return (p / (1.0 - p)) * (self.n_different_ / self.n_same_)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "model": self.model,
            "same_pairs": self.n_same_,
            "different_pairs": self.n_different_,
        }
        if self.method == "logistic":
            out["coef"] = [float(v) for v in self.coef_]
        out["p_same_at"] = {f"{t:.2f}": round(float(self.predict([t])[0]), 4)
                            for t in (0.5, 0.7, 0.8, 0.85, 0.9, 0.95)}  # fmt: skip
        return out


def from_session(session, model: str | None = None, method: str = "logistic") -> SameProbability:
    """Fit on the archive's reviewed evidence for ``model`` (default: the active one).

    Raises :class:`InsufficientEvidenceError` when too little has been reviewed.
    """
    from deertrack_core.reid.active import active_threshold
    from deertrack_core.reid.calibration import evidence_pairs

    model = model or active_threshold(session)[0]
    scores, same = evidence_pairs(session, model)
    return SameProbability(method, model).fit(scores, same)

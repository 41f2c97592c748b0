"""Simple closed-population estimates from a capture history (deer × occasion, 0/1).

These assume a closed population (no births, deaths or movement in or out during the season),
equal catchability and correct identification. Re-identification errors bias them: a missed
match inflates the estimate, a false match deflates it. The likelihood models with AICc and the
intervals that carry identification error live in :mod:`closed` and :mod:`iderror`.

* Minimum known alive (MKA): distinct individuals seen. A count, not an estimate: no interval.
* Chapman's bias-corrected Lincoln–Petersen over two halves of the season, with Chao's
  log-normal interval (never below the deer seen, always around the estimate).
* Schnabel (with Chapman's +1) over all occasions, with exact Poisson limits on the recaptures.

Every interval contains its estimate; where none can be given the note says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

Z95 = 1.959963984540054


@dataclass(frozen=True)
class AbundanceEstimate:
    method: str
    estimate: float | None
    lower: float | None
    upper: float | None
    occasions: int
    note: str = ""


def minimum_known_alive(history: pd.DataFrame) -> AbundanceEstimate:
    seen = int((history.sum(axis=1) > 0).sum()) if len(history) else 0
    return AbundanceEstimate(
        "Minimum known alive",
        float(seen),
        None,
        None,
        history.shape[1],
        "distinct identified deer seen: a count and a lower bound, so it has no interval",
    )


def chapman(n1: int, n2: int, m2: int) -> tuple[float, float]:
    """Chapman's Lincoln–Petersen estimate and its variance (Seber 1982)."""
    n_hat = (n1 + 1) * (n2 + 1) / (m2 + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m2) * (n2 - m2) / ((m2 + 1) ** 2 * (m2 + 2))
    return n_hat, var


def lognormal_limits(seen: int, n_hat: float, var: float) -> tuple[float, float] | None:
    """Chao's log-normal 95 % interval ``[M + f0/C, M + f0·C]`` for ``N̂ = M + f0``; ``None``
    when there is no unseen part (``f0 ≤ 0``) or no variance to spread it."""
    f0 = n_hat - seen
    if f0 <= 0 or var <= 0:
        return None
    c = math.exp(Z95 * math.sqrt(math.log1p(var / f0**2)))
    return seen + f0 / c, seen + f0 * c


def lincoln_petersen(history: pd.DataFrame) -> AbundanceEstimate:
    """Chapman estimate with the first half of the occasions as 'marking' and the second as
    'recapture'; Chao's log-normal 95 % interval."""
    name = "Lincoln–Petersen (Chapman)"
    k = history.shape[1]
    if k < 2 or history.empty:
        return AbundanceEstimate(name, None, None, None, k, "needs two or more occasions")
    half = k // 2
    first = history.iloc[:, :half].sum(axis=1) > 0
    second = history.iloc[:, half:].sum(axis=1) > 0
    n1, n2, m2 = int(first.sum()), int(second.sum()), int((first & second).sum())
    if n1 == 0 or n2 == 0:
        half_name = "first" if n1 == 0 else "second"
        return AbundanceEstimate(
            name, None, None, None, k,
            f"no identified deer in the {half_name} half of the occasions: nothing to compare",
        )  # fmt: skip
    n_hat, var = chapman(n1, n2, m2)
    seen = int((first | second).sum())
    note = f"n1={n1}, n2={n2}, recaptured m2={m2}"
    if m2 == 0:
        note += "; no deer seen in both halves: the estimate is unreliable"
    limits = lognormal_limits(seen, n_hat, var)
    if limits is None:
        note += (
            f"; every deer of one half was also seen in the other, so no unseen deer are "
            f"suggested (the estimate is the {seen} seen) and the variance is 0: no sampling interval"
        )
        return AbundanceEstimate(name, round(n_hat, 1), None, None, k, note)
    return AbundanceEstimate(
        name, round(n_hat, 1), round(limits[0], 1), round(limits[1], 1), k, note
    )


def poisson_limits(r: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) limits of a Poisson mean from one count ``r``."""
    alpha = 1 - level
    lo = stats.chi2.ppf(alpha / 2, 2 * r) / 2 if r > 0 else 0.0
    hi = stats.chi2.ppf(1 - alpha / 2, 2 * r + 2) / 2
    return float(lo), float(hi)


def schnabel(history: pd.DataFrame) -> AbundanceEstimate:
    """Schnabel multiple-occasion estimate N = Σ C_t M_t / (Σ R_t + 1), with exact Poisson
    limits on Σ R (Krebs). Held at the number seen when the formula falls below it."""
    k = history.shape[1]
    if k < 2 or history.empty:
        return AbundanceEstimate("Schnabel", None, None, None, k, "needs two or more occasions")
    h = history.to_numpy(dtype=bool)
    caught = h.sum(axis=0)  # C_t
    marked_before = np.zeros(k, dtype=int)  # M_t: marked animals at large before occasion t
    recaptured = np.zeros(k, dtype=int)  # R_t
    marked = np.zeros(h.shape[0], dtype=bool)
    for t in range(k):
        marked_before[t] = marked.sum()
        recaptured[t] = (h[:, t] & marked).sum()
        marked |= h[:, t]
    numerator = float((caught * marked_before).sum())
    r = int(recaptured.sum())
    seen = int(h.any(axis=1).sum())
    if numerator == 0:
        return AbundanceEstimate(
            "Schnabel", None, None, None, k, "no deer was at risk of recapture (all first seen on "
            "the last occasion with any sightings): not estimable",
        )  # fmt: skip
    raw = numerator / (r + 1)
    lo_r, hi_r = poisson_limits(r)
    lower, upper = numerator / (hi_r + 1), numerator / (lo_r + 1)
    note = f"Σ recaptures={r}"
    if r < 4:
        note += "; few recaptures: unreliable"
    n_hat = raw
    if raw < seen:
        # N cannot be below the deer seen: hold the estimate (and the limits) at that floor.
        n_hat = float(seen)
        note += (
            f"; the formula gives {raw:.1f}, below the {seen} deer seen, so the estimate is {seen}"
        )
        if upper < seen:
            note += (
                " and the whole interval would lie below it: the captures do not fit a closed "
                "population with equal catchability"
            )
    return AbundanceEstimate(
        "Schnabel",
        round(n_hat, 1),
        round(max(lower, float(seen)), 1),
        round(max(upper, float(seen)), 1),
        k,
        note,
    )


def estimates(history: pd.DataFrame) -> list[AbundanceEstimate]:
    """MKA, Lincoln–Petersen and Schnabel for one capture history."""
    return [minimum_known_alive(history), lincoln_petersen(history), schnabel(history)]

"""Simple closed-population estimates from a capture history (deer × occasion, 0/1).

These assume a closed population (no births, deaths or movement in or out during the season),
equal catchability and correct identification. Re-identification errors bias them: a missed
match inflates the estimate, a false match deflates it. They are labelled as such in reports.

* Minimum known alive (MKA): distinct individuals seen. A floor, not an estimate.
* Chapman's bias-corrected Lincoln–Petersen over two halves of the season.
* Schnabel (with Chapman's +1) over all occasions, with a Poisson-based 95 % interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


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
        "distinct identified deer seen; a lower bound",
    )


def chapman(n1: int, n2: int, m2: int) -> tuple[float, float]:
    """Chapman's Lincoln–Petersen estimate and its variance."""
    n_hat = (n1 + 1) * (n2 + 1) / (m2 + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m2) * (n2 - m2) / ((m2 + 1) ** 2 * (m2 + 2))
    return n_hat, var


def lincoln_petersen(history: pd.DataFrame) -> AbundanceEstimate:
    """Chapman estimate with the first half of the occasions as 'marking' and the second as
    'recapture'; 95 % interval ±1.96 SE (floored at the number seen)."""
    k = history.shape[1]
    if k < 2 or history.empty:
        return AbundanceEstimate(
            "Lincoln–Petersen (Chapman)", None, None, None, k, "needs two or more occasions"
        )
    half = k // 2
    first = history.iloc[:, :half].sum(axis=1) > 0
    second = history.iloc[:, half:].sum(axis=1) > 0
    n1, n2, m2 = int(first.sum()), int(second.sum()), int((first & second).sum())
    n_hat, var = chapman(n1, n2, m2)
    se = math.sqrt(var)
    seen = int((first | second).sum())
    note = f"n1={n1}, n2={n2}, recaptured m2={m2}"
    if m2 == 0:
        note += "; no recaptures: unreliable"
    if n_hat < seen:
        note += f"; below the {seen} deer seen"
    return AbundanceEstimate(
        "Lincoln–Petersen (Chapman)",
        round(n_hat, 1),
        round(max(seen, n_hat - 1.96 * se), 1),
        round(n_hat + 1.96 * se, 1),
        k,
        note,
    )


def schnabel(history: pd.DataFrame) -> AbundanceEstimate:
    """Schnabel multiple-occasion estimate N = Σ C_t M_t / (Σ R_t + 1)."""
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
    n_hat = numerator / (r + 1)
    # Poisson interval on R (Krebs): approximate for small R with the normal form.
    lo_r = max(r - 1.96 * math.sqrt(r), 0.0) if r else 0.0
    hi_r = r + 1.96 * math.sqrt(r) if r else 3.0
    upper = numerator / (lo_r + 1) if numerator else None
    lower = numerator / (hi_r + 1) if numerator else None
    seen = int(h.any(axis=1).sum())
    note = f"Σ recaptures={r}"
    if r < 4:
        note += "; few recaptures: unreliable"
    if n_hat < seen:
        note += f"; below the {seen} deer seen"
    return AbundanceEstimate(
        "Schnabel",
        round(n_hat, 1),
        round(max(seen, lower), 1) if lower is not None else None,
        round(upper, 1) if upper is not None else None,
        k,
        note,
    )


def estimates(history: pd.DataFrame) -> list[AbundanceEstimate]:
    """MKA, Lincoln–Petersen and Schnabel for one capture history."""
    return [minimum_known_alive(history), lincoln_petersen(history), schnabel(history)]

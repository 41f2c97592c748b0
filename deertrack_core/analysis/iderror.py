"""Identification error in the interval: resample the machine's identities, refit, combine.

Each machine decision (a burst track, or a single detection, whose identity is ``automatic``) is
a *unit*. Its candidate deer carry scores; a :class:`~deertrack_core.reid.same_probability.
SameProbability` fitted on reviewed pairs turns each score into a likelihood ratio
``LR = f(score | same) / f(score | different)``. A sighting is a priori of any of the ``N`` deer
alike; ``G`` of them were known when the decision was made. With the scores independent given
the truth, the unit belongs to candidate ``d`` with probability proportional to ``LR_d / N``
and to a deer not known yet with ``(N − G) / N``. ``N`` is the population itself: a first
pass uses the recorded identities' M0 estimate, a second the median of the first pass's draws.

One replicate draws every unit at once:

* a unit the machine *matched* to deer ``a`` stays with ``a``, moves to another candidate (the
  match was false) or becomes a deer of its own (a *split*);
* a unit that made the machine *create* deer ``X`` either keeps ``X`` apart or, when it draws a
  candidate ``d``, ``X`` is *merged* into ``d`` with every sighting later matched to ``X``.

Reviewed identities never move. The capture history is rebuilt from the drawn identities and
every model refitted; each fit's own sampling distribution (the log-normal of ``N − M`` behind
Chao's interval) is sampled ``draws`` times, and the interval "with ID error" is the
``(α/2, 1 − α/2)`` quantiles of all those draws pooled — identification and sampling error
together. Its estimate is their median, so the interval always contains it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from deertrack_core.analysis import closed

#: A model whose fit fails in more than this share of replicates gets no ID-error interval.
MAX_FAILED_SHARE = 0.1


@dataclass(frozen=True)
class MachineUnits:
    """The identified rows of a season and the machine decisions among them, as arrays."""

    labels: np.ndarray  # per row: the recorded deer id
    occasion: np.ndarray  # per row: occasion index 0..K-1
    row_unit: np.ndarray  # per row: its unit, -1 for a reviewed (fixed) identity
    n_occasions: int
    assigned: np.ndarray  # per unit: the recorded deer
    created: np.ndarray  # per unit: True when the decision created that deer
    candidates: np.ndarray  # (units, C) candidate deer ids, -1 padding
    lr: np.ndarray  # (units, C) likelihood ratio same/different of each candidate, 0 padding
    gallery: np.ndarray  # (units,) deer known when the decision was made (G)
    population: float = 0.0  # N of the prior; 0: not set yet (twice the deer seen)
    unscored: int = 0  # machine units with no score at all, taken as recorded

    @property
    def units(self) -> int:
        return len(self.assigned)

    def option_probabilities(self, population: float | None = None) -> np.ndarray:
        """(units, C + 1): probability of each candidate, and of "a deer not yet known" last."""
        n = population or self.population or 2.0 * max(len(np.unique(self.labels)), 1)
        unknown = np.maximum(n - self.gallery, 0.5)  # never quite impossible
        weights = np.hstack([self.lr, unknown[:, None]])
        return weights / weights.sum(axis=1, keepdims=True)


def _candidate_scores(cands, assigned: int, score, created: bool,
                      canonical: dict[int, int] | None) -> dict[int, float]:  # fmt: skip
    """A decision's candidate deer and their scores; a matched deer is always among them."""
    scores: dict[int, float] = {}
    for c in cands if isinstance(cands, list) else []:
        try:
            d, s = int(c["deer_id"]), float(c["score"])
        except (KeyError, TypeError, ValueError):
            continue  # a malformed entry is not evidence
        d = canonical.get(d, d) if canonical else d
        if math.isfinite(s) and not (created and d == assigned):
            scores[d] = max(s, scores.get(d, -math.inf))
    if not created and assigned not in scores and score is not None and not pd.isna(score):
        scores[assigned] = float(score)
    return scores


def build_units(
    df: pd.DataFrame,
    likelihood_ratio,
    *,
    n_occasions: int,
    canonical: dict[int, int] | None = None,
) -> MachineUnits:
    """Units from identified rows with ``deer_id``, ``occasion`` (0..K-1), ``provenance``,
    ``match_status``, ``track_id``, ``candidates`` and ``match_score``.

    ``likelihood_ratio`` maps scores to ``f(s | same) / f(s | different)`` (a fitted
    SameProbability's ``likelihood_ratio``). ``gallery`` (optional column): deer known when the
    decision was made; else the deer first seen in ``df`` before the decision. A machine
    decision without any score cannot be resampled and keeps its recorded identity.
    """
    ids = df[df["deer_id"].notna()].reset_index(drop=True)
    labels = ids["deer_id"].astype(np.int64).to_numpy()
    occasion = ids["occasion"].astype(np.int64).to_numpy()
    row_unit = np.full(len(ids), -1, dtype=np.int64)
    m = ids[(ids["provenance"] == "automatic").to_numpy()]
    # One decision per burst track (same deer, same status); a detection without a track alone.
    track = pd.to_numeric(m["track_id"], errors="coerce")
    key = np.where(track.isna(), -(m.index.to_numpy() + 1.0), track.fillna(0).to_numpy())
    groups = pd.DataFrame({"key": key, "deer": m["deer_id"].to_numpy(),
                           "status": m["match_status"].to_numpy()}, index=m.index)  # fmt: skip
    group_of = groups.groupby(["key", "deer", "status"], sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(m))).groupby(group_of).first().to_numpy()
    heads = m.iloc[first]
    lists = [
        _candidate_scores(c, int(d), s, st == "new", canonical)
        for c, d, s, st in zip(heads["candidates"], heads["deer_id"], heads["match_score"],
                               heads["match_status"], strict=True)
    ]  # fmt: skip
    scored = np.array([bool(x) for x in lists], dtype=bool)
    number = np.cumsum(scored) - 1  # group -> unit index among the scored groups
    in_unit = scored[group_of]
    row_unit[m.index.to_numpy()[in_unit]] = number[group_of[in_unit]]
    lists = [x for x in lists if x]
    heads = heads[scored]
    width = max([len(x) for x in lists] + [1])
    cand = np.full((len(lists), width), -1, dtype=np.int64)
    lr = np.zeros((len(lists), width))
    for u, scores in enumerate(lists):
        cand[u, : len(scores)] = np.fromiter(scores.keys(), dtype=np.int64)
        lr[u, : len(scores)] = likelihood_ratio(np.fromiter(scores.values(), dtype=np.float64))
    if "gallery" in heads.columns:
        gallery = heads["gallery"].astype(float).to_numpy()
    else:
        gallery = _known_before(ids, heads.index.to_numpy())
    units = MachineUnits(
        labels, occasion, row_unit, n_occasions,
        heads["deer_id"].astype(np.int64).to_numpy(),
        (heads["match_status"] == "new").to_numpy(),
        cand, lr, gallery, unscored=int((~scored).sum()),
    )  # fmt: skip
    return units


def _known_before(ids: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Deer of ``ids`` first seen before each of ``rows`` (by ``captured_at``, else row order)."""
    when = ids["captured_at"] if "captured_at" in ids.columns else pd.Series(ids.index)
    first = when.groupby(ids["deer_id"]).min().sort_values().to_numpy()
    return np.searchsorted(first, when.to_numpy()[rows], side="left").astype(float)


def resample_labels(units: MachineUnits, rng: np.random.Generator) -> np.ndarray:
    """One draw of every row's identity (see the module docstring). New deer get ids < 0."""
    if units.units == 0:
        return units.labels.copy()
    probs = units.option_probabilities()
    cut = rng.random((units.units, 1))
    choice = (np.cumsum(probs, axis=1) < cut).sum(axis=1)  # index of the drawn option
    choice = np.minimum(choice, probs.shape[1] - 1)
    none = choice == units.candidates.shape[1]
    drawn = np.where(none, -1, units.candidates[np.arange(units.units), np.minimum(
        choice, units.candidates.shape[1] - 1)])  # fmt: skip
    # Matched units: keep, move to the drawn candidate, or split off as a deer of their own.
    unit_label = units.assigned.copy()
    moved = ~units.created & ~none
    unit_label[moved] = drawn[moved]
    split = ~units.created & none
    unit_label[split] = -(np.flatnonzero(split) + 1)
    labels = np.where(units.row_unit >= 0, unit_label[np.maximum(units.row_unit, 0)], units.labels)
    # A created deer that drew a candidate is the same deer as that candidate: union them
    # (two created deer may each draw the other; union makes that one deer, not a cycle).
    merge = units.created & ~none
    if merge.any():
        parent: dict[int, int] = {}
        for x, d in zip(units.assigned[merge].tolist(), drawn[merge].tolist(), strict=True):
            rx, rd = _find(parent, x), _find(parent, d)
            if rx != rd:
                parent[max(rx, rd)] = min(rx, rd)
        uniq, inverse = np.unique(labels, return_inverse=True)
        resolved = np.array([_find(parent, int(x)) for x in uniq], dtype=np.int64)
        labels = resolved[inverse]
    return labels


def _find(parent: dict[int, int], x: int) -> int:
    root = x
    while root in parent:
        root = parent[root]
    while x != root:  # path compression
        parent[x], x = root, parent[x]
    return root


def capture_data(labels: np.ndarray, occasion: np.ndarray, n_occasions: int) -> closed.CaptureData:
    """Sufficient statistics of the history made by (label, occasion) sightings."""
    if len(labels) == 0:
        z = np.zeros(n_occasions, dtype=np.int64)
        return closed.CaptureData(z, z, z)
    _, lab = np.unique(labels, return_inverse=True)
    pairs = np.unique(lab.astype(np.int64) * n_occasions + occasion)
    who, when = pairs // n_occasions, pairs % n_occasions
    n_t = np.bincount(when, minlength=n_occasions)
    _, first, counts = np.unique(who, return_index=True, return_counts=True)
    u_t = np.bincount(when[first], minlength=n_occasions)
    f_j = np.bincount(counts, minlength=n_occasions + 1)[1:]
    return closed.CaptureData(n_t, u_t, f_j)


@dataclass(frozen=True)
class IdErrorInterval:
    """One model's estimate and interval with identification and sampling error together."""

    model: str
    estimate: float | None
    lower: float | None
    upper: float | None
    replicates: int  # identity draws whose fit was usable
    failed: int  # identity draws where the model could not be fitted
    note: str = ""


@dataclass(frozen=True)
class IdErrorResult:
    intervals: dict[str, IdErrorInterval]
    replicates: int
    draws: int
    seed: int
    units: int  # machine decisions resampled
    unscored: int  # machine decisions without scores, taken as recorded
    expected_false_matches: float  # Σ over matched units of P(not the recorded deer)
    expected_merges: float  # Σ over created deer of P(it is a known candidate)
    population_prior: float  # the N behind the prior of "a deer not known yet"
    individuals: tuple[float, float, float]  # distinct deer per draw: 2.5 %, median, 97.5 %
    recorded_individuals: int
    probability: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["intervals"] = {k: asdict(v) for k, v in self.intervals.items()}
        return out


def sampling_draws(fit: closed.ModelFit, n: int, rng: np.random.Generator) -> np.ndarray | None:
    """``n`` draws of N from a fit's log-normal sampling distribution (None if it has none)."""
    if not fit.estimable:
        return None
    if fit.log_f0 is None:  # degenerate: no unseen deer suggested, no spread
        return np.full(n, float(fit.seen))
    if fit.var_log_f0 is None:
        return None
    sd = math.sqrt(math.log1p(fit.var_log_f0))
    return fit.seen + np.exp(fit.log_f0 + sd * rng.standard_normal(n))


def _draw(units: MachineUnits, models, replicates: int, draws: int, rng: np.random.Generator):
    pooled: dict[str, list[np.ndarray]] = {m: [] for m in models}
    failed = dict.fromkeys(models, 0)
    seen_counts = []
    with closed.single_thread():
        for _ in range(replicates):
            labels = resample_labels(units, rng)
            data = capture_data(labels, units.occasion, units.n_occasions)
            seen_counts.append(data.seen)
            for m in models:
                sample = sampling_draws(closed.fit(m, data), draws, rng)
                if sample is None:
                    failed[m] += 1
                else:
                    pooled[m].append(sample)
    return pooled, failed, seen_counts


def id_error_intervals(
    units: MachineUnits,
    models: tuple[str, ...] = closed.MODELS,
    *,
    replicates: int = 200,
    draws: int = 20,
    seed: int = 0,
    level: float = 0.95,
) -> IdErrorResult:
    """Resample identities ``replicates`` times, refit ``models``, pool ``draws`` sampling draws
    per fit, and return each model's interval with identification error."""
    if replicates < 1 or draws < 1:
        raise ValueError("replicates and draws must be at least 1")
    if not units.population:
        recorded = closed.fit("M0", capture_data(units.labels, units.occasion, units.n_occasions))
        first = recorded.n_hat or 2.0 * max(recorded.seen, 1)
        pilot = _draw(replace(units, population=first), ("M0",), max(replicates // 4, 10), draws,
                      np.random.default_rng(seed + 1))  # fmt: skip
        n = float(np.median(np.concatenate(pilot[0]["M0"]))) if pilot[0]["M0"] else first
        units = replace(units, population=n)
    pooled, failed, seen_counts = _draw(units, models, replicates, draws,
                                        np.random.default_rng(seed))  # fmt: skip
    alpha = (1.0 - level) / 2
    intervals = {}
    for m in models:
        ok = replicates - failed[m]
        if not pooled[m] or failed[m] > MAX_FAILED_SHARE * replicates:
            intervals[m] = IdErrorInterval(
                m, None, None, None, ok, failed[m],
                f"{m} could not be fitted in {failed[m]} of {replicates} resampled identity sets",
            )  # fmt: skip
            continue
        allv = np.concatenate(pooled[m])
        lo, med, hi = np.quantile(allv, [alpha, 0.5, 1 - alpha])
        note = f"not fitted in {failed[m]} of {replicates} draws" if failed[m] else ""
        intervals[m] = IdErrorInterval(m, float(med), float(lo), float(hi), ok, failed[m], note)
    probs = units.option_probabilities() if units.units else np.zeros((0, 1))
    keep = np.zeros(units.units)
    for u in range(units.units):
        hit = units.candidates[u] == units.assigned[u]
        keep[u] = probs[u, :-1][hit].sum() if not units.created[u] else probs[u, -1]
    seen = np.quantile(seen_counts, [alpha, 0.5, 1 - alpha]) if seen_counts else (0, 0, 0)
    return IdErrorResult(
        intervals=intervals,
        replicates=replicates,
        draws=draws,
        seed=seed,
        units=units.units,
        unscored=units.unscored,
        expected_false_matches=float((1 - keep[~units.created]).sum()) if units.units else 0.0,
        expected_merges=float((1 - keep[units.created]).sum()) if units.units else 0.0,
        population_prior=units.population,
        individuals=tuple(float(v) for v in seen),
        recorded_individuals=int(len(np.unique(units.labels))),
    )

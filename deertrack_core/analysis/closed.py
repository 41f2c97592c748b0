"""Likelihood closed-population models from capture histories (Otis et al. 1978).

Full-likelihood models, as CAPTURE and MARK fit them, with population size ``N`` a parameter:

* **M0**: one capture probability ``p``;
* **Mt**: a capture probability per occasion ``p_t``;
* **Mb**: ``p`` before the first capture, ``c`` after it (a trap-happy or trap-shy response);
* **Mh2**: a two-point finite mixture (Pledger 2000): a share ``pi`` of the deer is caught with
  ``p1``, the rest with ``p2``.

The likelihood of the distinct capture histories is
``N! / (N - M)! · Π_ω π_ω^{n_ω} · π_0^{N - M}`` (``M`` deer seen; the constant ``Π n_ω!`` is left
out, the same in every model, so AICc values compare). ``N`` enters as ``N = M + f0`` with
``a = log f0`` unconstrained and ``lgamma`` for the factorials, as MARK does.

For M0, Mt and Mb the other parameters have closed-form maxima at a fixed ``N``, so the fit is a
one-dimensional search over ``a`` on the profile likelihood; Mh2 is fitted jointly with
L-BFGS-B from several starts. ``var(a)`` comes from the curvature of the profile (the same as the
``a`` element of the inverse Hessian of the full likelihood) or from the Hessian for Mh2.

Intervals: Chao's (1987) log-normal interval ``[M + f0/C, M + f0·C]``, ``C = exp(z·sqrt(log(1 +
var(N)/f0²)))``, which always contains its estimate and never goes below ``M``, or a profile-
likelihood interval (``2·(ℓ̂ − ℓ_p(N)) ≤ χ²₁``). Models are compared by AICc with the effective
sample size ``M × K`` (each deer seen contributes ``K`` occasions).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import optimize, special, stats

Interval = Literal["lognormal", "profile"]
MODELS: tuple[str, ...] = ("M0", "Mt", "Mb", "Mh2")
DESCRIPTIONS = {
    "M0": "equal capture probability",
    "Mt": "capture probability varies by occasion",
    "Mb": "behavioural response after first capture",
    "Mh2": "heterogeneity: two groups of catchability",
}
#: ``f0 = N - M`` is searched in ``[e^A_MIN, MAX_FACTOR · max(M, 10)]``; an optimum at the upper
#: end means the data cannot bound ``N``.
A_MIN = -12.0
MAX_FACTOR = 1000.0
_LOGIT = 15.0


@dataclass(frozen=True)
class CaptureData:
    """The sufficient statistics of a 0/1 capture history (deer × occasion).

    ``n_t`` deer caught on occasion t, ``u_t`` first caught on t, ``f_j`` deer caught on exactly
    ``j`` occasions (``j = 1..K``).
    """

    n_t: np.ndarray
    u_t: np.ndarray
    f_j: np.ndarray

    @classmethod
    def from_matrix(cls, history) -> CaptureData:
        h = np.asarray(history, dtype=bool)
        if h.ndim != 2:
            raise ValueError("a capture history is a 2-D deer × occasion matrix")
        h = h[h.any(axis=1)]
        k = h.shape[1]
        first = np.argmax(h, axis=1) if len(h) else np.zeros(0, dtype=int)
        u_t = np.bincount(first, minlength=k)[:k]
        f_j = np.bincount(h.sum(axis=1), minlength=k + 1)[1 : k + 1]
        return cls(h.sum(axis=0).astype(np.int64), u_t.astype(np.int64), f_j.astype(np.int64))

    @classmethod
    def from_summary(cls, n_t, u_t, f_j) -> CaptureData:
        """From published descriptive statistics (e.g. Rcapture's ``descriptive()``)."""
        n_t, u_t, f_j = (np.asarray(x, dtype=np.int64) for x in (n_t, u_t, f_j))
        if not (len(n_t) == len(u_t) == len(f_j)):
            raise ValueError("n_t, u_t and f_j need one entry per occasion")
        if u_t.sum() != f_j.sum() or n_t.sum() != (np.arange(1, len(f_j) + 1) * f_j).sum():
            raise ValueError("the statistics do not describe one capture history")
        return cls(n_t, u_t, f_j)

    @property
    def occasions(self) -> int:
        return len(self.n_t)

    @property
    def seen(self) -> int:
        return int(self.u_t.sum())

    @property
    def captures(self) -> int:
        return int(self.n_t.sum())

    @property
    def marked_before(self) -> np.ndarray:
        """``M_t``: deer marked before occasion t (``M_1 = 0``)."""
        return np.r_[0, np.cumsum(self.u_t)[:-1]]


@dataclass(frozen=True)
class ModelFit:
    """One model fitted to one capture history. ``n_hat`` is ``None`` when not estimable."""

    model: str
    seen: int
    occasions: int
    n_hat: float | None
    se: float | None
    lower: float | None
    upper: float | None
    interval: str
    loglik: float | None
    k: int  # parameters, N included
    aicc: float | None
    log_f0: float | None = None  # log(N - M): its sampling distribution drives resampling
    var_log_f0: float | None = None
    params: dict[str, float] = field(default_factory=dict)
    note: str = ""
    delta_aicc: float | None = None
    weight: float | None = None

    @property
    def estimable(self) -> bool:
        return self.n_hat is not None

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.model, "")


def _lfact(n: float, m: int) -> float:
    """``log(N! / (N - M)!)`` for a real ``N ≥ M``, as ``N log N − (N−M) log(N−M) − M``.

    Its derivative is ``log(N / (N − M))``, the ratio ``L(N) / L(N − 1)`` of the discrete
    likelihood, so the estimating equations are the classical ones (Darroch's for Mt, Otis et
    al.'s for M0 and Mb, Lincoln–Petersen for Mt with two occasions). ``lgamma`` would put the
    maximum about half a deer lower than the integer maximum those equations give.
    """
    return float(special.xlogy(n, n) - special.xlogy(n - m, n - m) - m)


# --- profile log-likelihoods (nuisance parameters at their closed-form maxima) -----------------


def _profile_m0(d: CaptureData, n: float) -> tuple[float, dict[str, float]]:
    k, caps = d.occasions, d.captures
    p = caps / (k * n)
    ll = _lfact(n, d.seen) + special.xlogy(caps, p) + special.xlog1py(k * n - caps, -p)
    return float(ll), {"p": p}


def _profile_mt(d: CaptureData, n: float) -> tuple[float, dict[str, float]]:
    p = d.n_t / n
    ll = _lfact(n, d.seen) + float(np.sum(special.xlogy(d.n_t, p) + special.xlog1py(n - d.n_t, -p)))
    return ll, {f"p{t + 1}": float(v) for t, v in enumerate(p)}


def _profile_mb(d: CaptureData, n: float) -> tuple[float, dict[str, float]]:
    m, k = d.seen, d.occasions
    at_risk = k * n - float(d.marked_before.sum())  # unmarked deer × occasions
    p = m / at_risk
    recaptures = d.captures - m
    marked = float(d.marked_before.sum())
    c = recaptures / marked if marked else 0.0
    ll = _lfact(n, m) + special.xlogy(m, p) + special.xlog1py(at_risk - m, -p)
    ll += special.xlogy(recaptures, c) + special.xlog1py(marked - recaptures, -c)
    return float(ll), {"p": p, "c": c}


PROFILES = {"M0": _profile_m0, "Mt": _profile_mt, "Mb": _profile_mb}
N_PARAMS = {"M0": lambda k: 2, "Mt": lambda k: k + 1, "Mb": lambda k: 3, "Mh2": lambda k: 4}


# --- Mh2: the two-point mixture, fitted jointly ----------------------------------------------


def _mh2_terms(d: CaptureData, theta: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
    """Log-likelihood of Mh2 at ``theta = (a, logit pi, logit p1, logit p2)`` and its gradient."""
    a, lpi, l1, l2 = theta
    f0 = math.exp(a)
    n = d.seen + f0
    pi, p1, p2 = (float(v) for v in special.expit([lpi, l1, l2]))
    k = d.occasions
    j = np.arange(k + 1)  # times caught; j = 0 is the deer never seen
    w = np.r_[n - d.seen, d.f_j].astype(float)
    # log π p1^j (1-p1)^(K-j) and log (1-π) p2^j (1-p2)^(K-j), combined in log space
    log1 = math.log(pi) + special.xlogy(j, p1) + special.xlog1py(k - j, -p1)
    log2 = math.log1p(-pi) + special.xlogy(j, p2) + special.xlog1py(k - j, -p2)
    log_s = np.logaddexp(log1, log2)
    ll = _lfact(n, d.seen) + float(np.sum(w * log_s))
    r1 = np.exp(log1 - log_s)  # share of class 1 among deer caught j times
    grad = np.array([
        f0 * (math.log(n / f0) + float(log_s[0])),
        float(np.sum(w * (r1 - pi))),
        float(np.sum(w * r1 * (j - k * p1))),
        float(np.sum(w * (1 - r1) * (j - k * p2))),
    ])  # fmt: skip
    return ll, grad, {"pi": pi, "p1": p1, "p2": p2}


def _mh2_nll(theta: np.ndarray, d: CaptureData) -> tuple[float, np.ndarray]:
    ll, grad, _ = _mh2_terms(d, theta)
    if not math.isfinite(ll):
        return 1e300, np.zeros(4)
    return -ll, -grad


def _a_max(d: CaptureData) -> float:
    return math.log(MAX_FACTOR * max(d.seen, 10))


def _fit_mh2(d: CaptureData, a_fixed: float | None = None, start=None) -> tuple[np.ndarray, float]:
    """Maximum of the Mh2 likelihood (at ``a_fixed`` when given): ``(theta, loglik)``."""
    p0 = min(max(d.captures / (d.occasions * max(d.seen, 1)), 0.02), 0.9)
    a0 = math.log(max(d.seen * 0.2, 1.0)) if a_fixed is None else a_fixed
    a_bounds = (A_MIN, _a_max(d)) if a_fixed is None else (a_fixed, a_fixed)
    bounds = [a_bounds] + [(-_LOGIT, _LOGIT)] * 3
    starts = [np.asarray(start, dtype=float)] if start is not None else []
    # A warm start (the profile's neighbouring point) needs no others.
    defaults = () if start is not None else ((0.5, 2.0, 0.5), (0.2, 1.5, 0.3), (0.1, 3.0, 0.8))
    for pi0, hi, lo in defaults:
        p1, p2 = min(p0 * hi, 0.95), max(p0 * lo, 0.01)
        starts.append(np.array([a0, special.logit(pi0), special.logit(p1), special.logit(p2)]))
    best: optimize.OptimizeResult | None = None
    for x0 in starts:
        x0 = x0.copy()
        x0[0] = min(max(x0[0], a_bounds[0]), a_bounds[1])
        res = optimize.minimize(_mh2_nll, x0, args=(d,), jac=True, method="L-BFGS-B",
                                bounds=bounds)  # fmt: skip
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    return np.asarray(best.x), -float(best.fun)


def _hessian(grad, x: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Hessian by central differences of an analytic gradient."""
    cols = [(grad(x + e) - grad(x - e)) / (2 * step) for e in np.eye(len(x)) * step]
    h = np.column_stack(cols)
    return (h + h.T) / 2


# --- fitting -----------------------------------------------------------------------------------


def _not_estimable(model: str, d: CaptureData, why: str, interval: str) -> ModelFit:
    k = N_PARAMS[model](d.occasions)
    return ModelFit(model, d.seen, d.occasions, None, None, None, None, interval, None, k, None,
                    note=why)  # fmt: skip


def _aicc(loglik: float, k: int, n_eff: int) -> float | None:
    if n_eff - k - 1 <= 0:
        return None
    return -2.0 * loglik + 2 * k + 2 * k * (k + 1) / (n_eff - k - 1)


@lru_cache(maxsize=8)
def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def lognormal_interval(seen: int, f0: float, var_log_f0: float, level: float = 0.95):
    """Chao's log-normal interval for ``N = seen + f0`` from ``var(log f0)``."""
    z = _z(level)
    c = math.exp(z * math.sqrt(math.log1p(var_log_f0)))
    return seen + f0 / c, seen + f0 * c


def _profile_interval(
    model: str, d: CaptureData, a_hat: float, ll_hat: float, level: float
) -> tuple[float, float | None]:
    """Where ``2 (ℓ̂ − ℓ_p(N))`` reaches the χ²₁ quantile on each side of the estimate."""
    crit = stats.chi2.ppf(level, 1) / 2.0
    prof = _profile_fn(model, d)

    def drop(a: float) -> float:
        return ll_hat - prof(a) - crit

    lo_a = A_MIN
    lower = d.seen + math.exp(optimize.brentq(drop, lo_a, a_hat)) if drop(lo_a) > 0 else d.seen
    hi_a = _a_max(d)
    upper = d.seen + math.exp(optimize.brentq(drop, a_hat, hi_a)) if drop(hi_a) > 0 else None
    return float(lower), upper


def _profile_fn(model: str, d: CaptureData):
    if model in PROFILES:
        fn = PROFILES[model]
        return lambda a: fn(d, d.seen + math.exp(a))[0]

    theta_hat, _ = _fit_mh2(d)

    def mh2_profile(a: float) -> float:  # inner maximisation over (pi, p1, p2) at a fixed N
        return _fit_mh2(d, a_fixed=a, start=np.r_[a, theta_hat[1:]])[1]

    return mh2_profile


def fit(
    model: str, data: CaptureData, *, interval: Interval = "lognormal", level: float = 0.95
) -> ModelFit:
    """Fit ``model`` (one of :data:`MODELS`) to ``data``."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, not {model!r}")
    if interval not in ("lognormal", "profile"):
        raise ValueError("interval must be 'lognormal' or 'profile'")
    label = "log-normal (Chao)" if interval == "lognormal" else "profile likelihood"
    d = data
    if d.occasions < 2:
        return _not_estimable(model, d, "needs two or more occasions", label)
    if d.seen == 0:
        return _not_estimable(model, d, "no deer seen", label)
    if d.captures == d.seen:
        return _not_estimable(
            model, d, "no deer was seen on two occasions: nothing bounds N from above", label
        )
    if model == "Mb" and d.marked_before.sum() == 0:
        return _not_estimable(model, d, "no deer was at risk of recapture", label)
    k = N_PARAMS[model](d.occasions)
    a_hi = _a_max(d)
    if model in PROFILES:
        prof = _profile_fn(model, d)
        res = optimize.minimize_scalar(lambda a: -prof(a), bounds=(A_MIN, a_hi), method="bounded",
                                       options={"xatol": 1e-6})  # fmt: skip
        a_hat, ll_hat = float(res.x), -float(res.fun)
        params = PROFILES[model](d, d.seen + math.exp(a_hat))[1]
        step = 1e-3
        curv = (prof(a_hat + step) - 2 * prof(a_hat) + prof(a_hat - step)) / step**2
        var_a = -1.0 / curv if curv < 0 else math.inf
    else:
        with single_thread():
            theta, ll_hat = _fit_mh2(d)
        a_hat = float(theta[0])
        params = _mh2_terms(d, theta)[2]
        try:
            cov = np.linalg.inv(_hessian(lambda x: _mh2_nll(x, d)[1], theta))
            var_a = float(cov[0, 0]) if cov[0, 0] > 0 else math.inf
        except np.linalg.LinAlgError:
            var_a = math.inf
    aicc = _aicc(ll_hat, k, d.seen * d.occasions)
    if a_hat > a_hi - 0.05:
        return replace(
            _not_estimable(model, d, "the likelihood keeps rising with N: no finite estimate "
                           "(too few recaptures for this model)", label),
            loglik=ll_hat, aicc=aicc, params=params,
        )  # fmt: skip
    f0 = math.exp(a_hat)
    n_hat = d.seen + f0
    notes = []
    if a_hat < A_MIN + 0.5:
        # Every deer seen so often that no unseen one is suggested: N̂ = M and no spread.
        return ModelFit(model, d.seen, d.occasions, float(d.seen), 0.0, None, None, label,
                        ll_hat, k, aicc, None, None, params,
                        note=f"no unseen deer suggested (the estimate equals the {d.seen} seen); the "
                             "sampling interval is degenerate, so none is given")  # fmt: skip
    if not math.isfinite(var_a):
        notes.append("flat likelihood: no standard error")
        lower = upper = se = None
    elif interval == "lognormal":
        lower, upper = lognormal_interval(d.seen, f0, var_a, level)
        se = f0 * math.sqrt(var_a)
    else:
        se = f0 * math.sqrt(var_a)
        with single_thread():
            lower, upper = _profile_interval(model, d, a_hat, ll_hat, level)
        if upper is None:
            notes.append("the profile does not close above: no upper limit")
    if aicc is None:
        notes.append("too few deer × occasions for AICc")
    return ModelFit(model, d.seen, d.occasions, n_hat, se, lower, upper, label, ll_hat, k, aicc,
                    a_hat, var_a if math.isfinite(var_a) else None, params,
                    note="; ".join(notes))  # fmt: skip


def fit_all(
    history, models: tuple[str, ...] = MODELS, *, interval: Interval = "lognormal"
) -> list[ModelFit]:
    """Fit each model to a capture history (matrix or :class:`CaptureData`); ranked by AICc."""
    data = history if isinstance(history, CaptureData) else CaptureData.from_matrix(history)
    with single_thread():
        return rank([fit(m, data, interval=interval) for m in models])


_single = threading.local()


@contextmanager
def single_thread() -> Iterator[None]:
    """BLAS on one thread: L-BFGS-B's tiny vector operations ran ~100x slower when OpenBLAS
    spread them over threads on a busy machine (4 ms instead of 30 µs a step). Re-entrant:
    only the outermost block pays the few milliseconds of switching."""
    if getattr(_single, "depth", 0):
        _single.depth += 1
        try:
            yield
        finally:
            _single.depth -= 1
        return
    from threadpoolctl import threadpool_limits

    _single.depth = 1
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        _single.depth = 0


def rank(fits) -> list[ModelFit]:
    """Fits sorted by AICc with ``delta_aicc`` and Akaike ``weight`` (unranked ones last)."""
    fits = list(fits)
    scored = [f for f in fits if f.aicc is not None and f.estimable]
    if not scored:
        return fits
    best = min(f.aicc for f in scored)
    raw = {f.model: math.exp(-(f.aicc - best) / 2) for f in scored}
    total = sum(raw.values())
    out = [replace(f, delta_aicc=f.aicc - best, weight=raw[f.model] / total) for f in scored]
    out.sort(key=lambda f: f.aicc)
    return out + [f for f in fits if f not in scored]

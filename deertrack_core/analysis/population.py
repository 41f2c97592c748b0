"""Population size for a season: every estimator, with and without identification error.

:func:`estimate_population` is pure (frames in, a :class:`PopulationReport` out);
:func:`population_from_session` loads what it needs: the detections with their provenance, the
camera effort per occasion, the score → P(same) calibration from reviewed evidence, and each
machine identity rescored against every deer's prototype (leave-one-out, cached embeddings). The
CLI (``deertrack abundance``), the seasonal PDF and the dashboard all call it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from deertrack_core.analysis import abundance, closed, iderror, occasions, provenance
from deertrack_core.analysis.activity import GroupBy

log = logging.getLogger(__name__)

#: Identity draws for the ID-error intervals: enough for stable 2.5 % / 97.5 % quantiles of
#: the pooled draws (each replicate adds ``DRAWS`` sampling draws) in a few seconds.
REPLICATES = 200
DRAWS = 20
MAX_REPLICATES = 2000
#: Candidates kept per machine decision (the most likely deer); the rest weigh nothing.
MAX_CANDIDATES = 50


@dataclass(frozen=True)
class PopulationReport:
    """Everything a population table says, for one range, occasion length and identity scope."""

    occasion: str
    start: dt.date
    end: dt.date
    occasions: int  # occasions used (with at least one camera operating)
    dropped_occasions: int  # occasions left out: no camera operating
    unidentified_occasions: int  # left out: animals photographed, none identified
    confirmed_only: bool
    seen: int  # distinct deer in the capture history
    detections: dict[str, int]  # detections by provenance
    simple: list[abundance.AbundanceEstimate]
    models: list[closed.ModelFit]
    id_error: iderror.IdErrorResult | None
    id_note: str  # what the "with ID error" intervals include, or why there are none
    calibration: dict[str, Any] | None = None
    machine_model: str = ""  # "model X at threshold t" of the machine identities
    history: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def identities(self) -> str:
        return provenance.SCOPE_TEXT[self.confirmed_only]

    def with_id_error(self, model: str) -> iderror.IdErrorInterval | None:
        if self.id_error is None:
            return None
        return self.id_error.intervals.get(model)

    def model_rows(self) -> list[dict[str, Any]]:
        """One JSON-ready row per model: estimate, both intervals, AICc."""
        rows = []
        for f in self.models:
            aware = self.with_id_error(f.model)
            rows.append({
                "model": f.model,
                "description": f.description,
                "estimate": _r(f.n_hat),
                "se": _r(f.se),
                "aicc": _r(f.aicc, 2),
                "delta_aicc": _r(f.delta_aicc, 2),
                "weight": _r(f.weight, 3),
                "sampling": {"lower": _r(f.lower), "upper": _r(f.upper), "method": f.interval},
                "with_id_error": {
                    "estimate": _r(aware.estimate) if aware else None,
                    "lower": _r(aware.lower) if aware else None,
                    "upper": _r(aware.upper) if aware else None,
                    "note": aware.note if aware else self.id_note,
                },
                "parameters": {k: round(v, 4) for k, v in f.params.items()},
                "note": f.note,
            })  # fmt: skip
        return rows

    def as_dict(self) -> dict[str, Any]:
        out = {
            "occasion": self.occasion,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "occasions": self.occasions,
            "dropped_occasions": self.dropped_occasions,
            "unidentified_occasions": self.unidentified_occasions,
            "identities": self.identities,
            "confirmed_only": self.confirmed_only,
            "machine_identities": self.machine_model,
            "deer_seen": self.seen,
            "detections": self.detections,
            "models": self.model_rows(),
            "simple": [asdict(e) for e in self.simple],
            "id_error": None,
            "id_error_note": self.id_note,
            "calibration": self.calibration,
        }
        if self.id_error is not None:
            info = self.id_error.as_dict()
            info.pop("intervals")
            out["id_error"] = info
        return out


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def estimate_population(
    df: pd.DataFrame,
    *,
    occasion: GroupBy,
    start: dt.date,
    end: dt.date,
    effort: pd.Series | None = None,
    likelihood_ratio=None,
    no_calibration: str = "",
    replicates: int = REPLICATES,
    seed: int = 0,
    models: tuple[str, ...] = closed.MODELS,
    confirmed_only: bool = False,
) -> PopulationReport:
    """The population report of detections ``df`` (with ``provenance``; scoped already).

    ``effort``: trap nights per occasion start (occasions without any are left out).
    ``likelihood_ratio``: score → f(s|same)/f(s|different), or ``None`` (then
    ``no_calibration`` says why there is no ID-error interval).
    """
    if not 1 <= replicates <= MAX_REPLICATES:
        raise ValueError(f"replicates must be between 1 and {MAX_REPLICATES}")
    starts = occasions.periods(start, end, occasion)
    keep = np.ones(len(starts), dtype=bool)
    if effort is not None:
        keep = effort.reindex(starts, fill_value=0.0).to_numpy() > 0
    blind = occasions.without_identities(df, starts, occasion) & keep
    used = starts[keep & ~blind]
    ids = df[df["deer_id"].notna()].copy()
    idx = occasions.occasion_index(ids["captured_at"], used, occasion)
    ids = ids[idx >= 0].assign(occasion=idx[idx >= 0])
    history = _history(ids, len(used), used)
    simple = abundance.estimates(history)
    data = closed.CaptureData.from_matrix(history.to_numpy())
    fits = closed.fit_all(data, models)
    counts = provenance.counts(df)
    result, note = None, ""
    machine = int((ids["provenance"] == provenance.Provenance.AUTOMATIC.value).sum())
    if confirmed_only:
        note = "confirmed identities only: no machine identity is counted, so the intervals "
        note += "are the sampling-only ones (reviewers' errors are not modelled)"
    elif machine == 0:
        note = "every identity counted was set by a reviewer: no machine error to propagate"
    elif likelihood_ratio is None:
        note = (
            no_calibration or "no score calibration: the ID-error interval needs reviewed evidence"
        )
    else:
        units = iderror.build_units(ids, likelihood_ratio, n_occasions=len(used))
        result = iderror.id_error_intervals(units, models, replicates=replicates, draws=DRAWS,
                                            seed=seed)  # fmt: skip
        note = (
            f"{units.units} machine decisions ({machine} detections) resampled from the "
            f"calibrated score evidence, {replicates} draws, combined with sampling error"
        )
        if units.unscored:
            note += f"; {units.unscored} decisions without scores were taken as recorded"
    if result is None and (confirmed_only or machine == 0):
        # No machine identity counted: the interval with ID error is the sampling one.
        result = iderror.IdErrorResult(
            intervals={f.model: iderror.IdErrorInterval(f.model, f.n_hat, f.lower, f.upper, 0, 0,
                                                        note) for f in fits},
            replicates=0, draws=0, seed=seed, units=0, unscored=0, expected_false_matches=0.0,
            expected_merges=0.0, population_prior=0.0, individuals=(float(data.seen),) * 3,
            recorded_individuals=data.seen,
        )  # fmt: skip
    return PopulationReport(
        occasion=occasion, start=start, end=end, occasions=len(used),
        dropped_occasions=int((~keep).sum()), unidentified_occasions=int(blind.sum()),
        confirmed_only=confirmed_only, seen=data.seen,
        detections=counts, simple=simple, models=fits, id_error=result, id_note=note,
        history=history,
    )  # fmt: skip


def _history(ids: pd.DataFrame, k: int, starts: pd.DatetimeIndex) -> pd.DataFrame:
    """Deer × occasion 0/1 matrix of the rows' ``occasion`` indices."""
    if ids.empty:
        return pd.DataFrame(np.zeros((0, k), dtype=int), columns=starts)
    deer, row = np.unique(ids["deer_id"].astype(np.int64), return_inverse=True)
    h = np.zeros((len(deer), k), dtype=int)
    h[row, ids["occasion"].to_numpy()] = 1
    return pd.DataFrame(h, index=pd.Index(deer, name="deer_id"), columns=starts)


def rescore_machine(session: Session, model: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the ``candidates`` of each machine identity rescored against every deer's
    prototype (its own deer without it), from cached embeddings, and ``gallery``: how many deer
    it was scored against. A created deer is scored only against deer known before it (the
    later ones score it themselves). Rows without an embedding keep their logged candidates.
    """
    from deertrack_core.reid import prototypes as protos
    from deertrack_core.reid.scores import load_labelled

    machine = df["provenance"] == provenance.Provenance.AUTOMATIC.value
    if not machine.any():
        return df
    gallery = load_labelled(session, model)
    if len(gallery.detection_ids) == 0:
        return df
    canon = _canonical_ids(session)
    labels = np.array([canon.get(int(d), int(d)) for d in gallery.deer_ids], dtype=np.int64)
    deer_ids, scores = protos.leave_one_out_scores(gallery.matrix, labels)
    row_of = {int(d): i for i, d in enumerate(gallery.detection_ids)}
    first = _first_seen(df)
    first_of_deer = np.array([first.get(int(d), pd.Timestamp.max) for d in deer_ids])
    out = df.copy()
    cands = out["candidates"].tolist() if "candidates" in out.columns else [None] * len(out)
    sizes = np.full(len(out), np.nan)
    for pos in np.flatnonzero(machine.to_numpy()):
        row = row_of.get(int(out["detection_id"].iat[pos]))
        if row is None:
            continue
        s = scores[row].copy()
        if out["match_status"].iat[pos] == "new":
            s[first_of_deer >= out["captured_at"].iat[pos]] = np.nan  # itself and later deer
        ok = np.flatnonzero(~np.isnan(s))
        sizes[pos] = len(ok)
        best = ok[np.argsort(-s[ok])[:MAX_CANDIDATES]]
        cands[pos] = [{"deer_id": int(deer_ids[j]), "score": float(s[j])} for j in best]
    out["candidates"] = cands
    out["gallery"] = sizes
    return out


def _with_decisions(session: Session, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each automatic row's ``track_id``, ``candidates`` and ``match_score`` (read
    for those rows only: the candidates are JSON, costly to read for a whole archive)."""
    from sqlalchemy import select

    from deertrack_core.analysis.load import frame
    from deertrack_core.models import Detection

    ids = df.loc[df["provenance"] == provenance.Provenance.AUTOMATIC.value, "detection_id"]
    wanted = set(ids.astype(int))
    stmt = select(Detection.id, Detection.track_id, Detection.candidates, Detection.match_score)
    stmt = stmt.where(Detection.match_status.in_(provenance.MACHINE))
    cols = ["detection_id", "track_id", "candidates", "match_score"]
    extra = frame(session.connection().execute(stmt), cols)
    extra = extra[extra["detection_id"].isin(wanted)]
    base = df.drop(columns=[c for c in cols[1:] if c in df.columns])
    return base.merge(extra, on="detection_id", how="left")


def _canonical_ids(session: Session) -> dict[int, int]:
    from deertrack_core.analysis.load import load_deer

    deer = load_deer(session)
    return dict(zip(deer["deer_id"].astype(int), deer["canonical_id"].astype(int), strict=True))


def _first_seen(df: pd.DataFrame) -> dict[int, pd.Timestamp]:
    ids = df[df["deer_id"].notna()]
    return {int(k): v for k, v in ids.groupby("deer_id")["captured_at"].min().items()}


def population_from_session(
    session: Session,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    deployments: Sequence[int] = (),
    occasion: GroupBy = "week",
    confirmed_only: bool = False,
    replicates: int = REPLICATES,
    seed: int = 0,
    detections: pd.DataFrame | None = None,
    id_error: bool = True,
) -> PopulationReport:
    """Load a range's detections, effort and evidence and run :func:`estimate_population`.

    ``detections``: the range's rows already loaded (with the same scope), e.g. by a report;
    the machine decisions' candidates are then read for the automatic rows only.
    ``id_error=False``: sampling-only intervals, fast (no rescoring, no identity draws): what a
    page shows while the intervals with identification error are computed.
    """
    from deertrack_core.analysis.load import load_deployments, load_detections
    from deertrack_core.reid.calibration import InsufficientEvidenceError
    from deertrack_core.reid.same_probability import from_session

    if detections is None:
        df = load_detections(session, start=start, end=end, deployments=deployments,
                             columns=["match_score"], confirmed_only=confirmed_only)  # fmt: skip
    else:
        df = detections
    if start is None or end is None:
        if df.empty:
            today = dt.date.today()
            start, end = start or today, end or today
        else:
            start = start or df["captured_at"].min().date()
            end = end or df["captured_at"].max().date()
    effort = occasions.station_effort(load_deployments(session, deployments), start, end, occasion)
    calibration, why, lr = None, "", None
    machine_model = ""
    if not id_error:
        why = "intervals with identification error not computed (sampling only asked for)"
    elif not confirmed_only and (df["provenance"] == "automatic").any():
        decided = provenance.attach_decisions(session, df[["detection_id", "match_status",
                                                           "deer_id"]])  # fmt: skip
        machine_model = provenance.machine_summary(decided)
        try:
            same = from_session(session)
            calibration, lr = same.as_dict(), same.likelihood_ratio
            df = rescore_machine(session, same.model, _with_decisions(session, df))
        except InsufficientEvidenceError as exc:
            why = f"no ID-error interval: {exc.problem}"
    report = estimate_population(
        df, occasion=occasion, start=start, end=end, effort=effort.sum(axis=0),
        likelihood_ratio=lr, no_calibration=why, replicates=replicates, seed=seed,
        confirmed_only=confirmed_only,
    )  # fmt: skip
    return replace(report, calibration=calibration, machine_model=machine_model)

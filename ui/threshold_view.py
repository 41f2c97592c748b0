"""Evidence, curves and the archive outlook for the threshold screen (cached)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from ui import charts, resources

MAX_PAIRS = 200_000
GOAL_LABELS = {
    "precision": "Target precision (few false merges)",
    "f1": "Best F1 (balance)",
    "youden": "Youden's J (TPR − FPR)",
}


@st.cache_resource(ttl=60, show_spinner="Reading the known deer's embeddings…", max_entries=2)
def gallery(url: str, model: str):
    """Every identified detection's embedding, read once for the evidence and the outlook."""
    from deertrack_core.reid.scores import load_labelled

    with resources.session() as s:
        return load_labelled(s, model)


@st.cache_resource(ttl=60, show_spinner="Gathering reviewed evidence…", max_entries=4)
def evidence(url: str, model: str) -> tuple[np.ndarray, np.ndarray]:
    from deertrack_core.reid.calibration import evidence_pairs

    with resources.session() as s:
        return evidence_pairs(s, model, gallery=gallery(url, model))


@st.cache_data(ttl=60, show_spinner="Scoring detections awaiting an identity…")
def pending(url: str, model: str):
    from deertrack_core.reid.calibration import pending_best_scores

    with resources.session() as s:
        return pending_best_scores(s, model, gallery=gallery(url, model))


@st.cache_resource(ttl=60, show_spinner="Fitting ROC and precision–recall curves…", max_entries=4)
def calibrator(url: str, model: str) -> tuple[Any, int, int]:
    """The calibrator fitted on the reviewed evidence, and the full evidence's (same, different)
    pair counts.

    A large archive has millions of pairs; the curves are fitted on a uniform random sample of
    at most ``MAX_PAIRS`` (both kinds sampled at the same rate, so precision stays unbiased).
    Kept as an object: nothing is pickled on a slider move.
    """
    from deertrack_core.reid.calibration import ThresholdCalibrator

    scores, same = evidence(url, model)
    n_same, n_diff = int(same.sum()), int(len(same) - same.sum())
    if len(scores) > MAX_PAIRS:
        idx = np.random.default_rng(0).choice(len(scores), MAX_PAIRS, replace=False)
        scores, same = scores[idx], same[idx]
    return ThresholdCalibrator().fit(scores, same), n_same, n_diff


def _thin(df: pd.DataFrame, n: int = 400) -> pd.DataFrame:
    if len(df) <= n:
        return df
    return df.iloc[np.unique(np.linspace(0, len(df) - 1, n).astype(int))]


def curves(cal, m) -> None:
    roc = pd.DataFrame({"fpr": cal.roc_.fpr, "tpr": cal.roc_.tpr})
    roc["order"] = range(len(roc))
    pr = pd.DataFrame({"recall": cal.pr_.recall, "precision": cal.pr_.precision})
    pr["order"] = range(len(pr))
    left, right = st.columns(2)
    left.altair_chart(
        charts.curve(
            _thin(roc),
            "fpr",
            "tpr",
            {"fpr": m.fpr, "tpr": m.recall, "threshold": m.threshold},
            f"ROC (AUC {cal.roc_.auc:.3f})",
            diagonal=True,
        ),
        width="stretch",
    )
    right.altair_chart(
        charts.curve(
            _thin(pr),
            "recall",
            "precision",
            {"recall": m.recall, "precision": m.precision, "threshold": m.threshold},
            f"Precision–recall (AP {cal.pr_.average_precision:.3f})",
            diagonal=False,
        ),
        width="stretch",
    )


def recommendations(cal, target: float) -> pd.DataFrame:
    rows = []
    for goal, label in GOAL_LABELS.items():
        rec = cal.recommend(goal, target if goal == "precision" else None)
        rows.append(
            {
                "goal": label + ("" if rec.achieved else " — not reachable"),
                "threshold": rec.threshold,
                "precision": rec.metrics.precision,
                "recall": rec.metrics.recall,
                "F1": rec.metrics.f1,
            }
        )
    return pd.DataFrame(rows)


def metrics_row(m, rec, goal: str) -> None:
    """Precision, recall, F1 and false-match rate at the slider, and the recommendation."""
    c = st.columns(5)
    c[0].metric("Precision", f"{m.precision:.3f}")
    c[1].metric("Recall", f"{m.recall:.3f}")
    c[2].metric("F1", f"{m.f1:.3f}")
    c[3].metric("False-match rate", f"{m.fpr:.3f}")
    c[4].metric(
        f"Recommended ({goal})",
        f"{rec.threshold:.3f}",
        help=None if rec.achieved else "The target is not reachable on this evidence",
    )
    st.caption(
        f"Operating point: FPR {m.fpr:.3f}, TPR {m.recall:.3f} at threshold {m.threshold:.3f} "
        f"(TP {m.tp:,}, FP {m.fp:,}, FN {m.fn:,}, TN {m.tn:,} pairs)."
    )


def outlook(url: str, model: str, threshold: float, precision: float) -> None:
    """What matching the detections awaiting an identity would give at ``threshold``."""
    from deertrack_core.reid.calibration import outlook_from_scores

    out = outlook_from_scores(pending(url, model), threshold, precision)
    if out.pending_tracks == 0:
        st.caption("No detections await an identity with embeddings of this model.")
        return
    o = st.columns(3)
    o[0].metric("Automatic matches (tracks)", f"{out.auto_matches:,}")
    o[1].metric("New individuals or proposals", f"{out.new_individuals:,}")
    o[2].metric("Expected false merges", f"{out.expected_false_merges or 0:.1f}")
    st.caption(
        f"Of {out.pending_tracks:,} tracks ({out.pending_detections:,} detections) awaiting an "
        "identity; expected false merges = automatic matches × (1 − precision)."
    )

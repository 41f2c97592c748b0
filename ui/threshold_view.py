"""Curves, metrics and the archive outlook of the threshold screen (reads via ui.readers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui import charts

GOAL_LABELS = {
    "precision": "Target precision (few false merges)",
    "f1": "Best F1 (balance)",
    "youden": "Youden's J (TPR − FPR)",
}
#: One plain line per measure, shown as help on each number and under the curves.
GLOSS = {
    "Precision": "Of the automatic matches, the share that are the right deer.",
    "Recall": "Of the sightings of known deer, the share matched automatically (also TPR).",
    "F1": "One number balancing precision and recall (their harmonic mean).",
    "False-match rate": "Of the pairs of different deer, the share the threshold would call "
    "the same deer (also FPR).",
    "Youden's J": "Recall minus the false-match rate: how far the threshold is from a coin toss.",
    "AUC": "Area under the ROC curve: the chance that a same-deer pair scores higher than a "
    "different-deer pair (0.5 is guessing, 1 is perfect).",
    "AP": "Average precision: precision averaged over all recall levels (1 is perfect).",
    "TP / FP / FN / TN": "Pairs counted at this threshold: same deer matched (TP), different "
    "deer matched by mistake (FP), same deer missed (FN), different deer kept apart (TN).",
}


def action_range(cal, *keep: float) -> tuple[float, float]:
    """Where moving the threshold changes something: from the 2nd percentile of same-deer
    scores to the top 0.1 % of different-deer scores or the 90th percentile of same-deer ones,
    whichever is higher, widened to hold ``keep`` (the active and recommended thresholds),
    rounded out to 0.01 and at least 0.05 wide."""
    same, diff = cal.scores_[cal.same_], cal.scores_[~cal.same_]
    lo = float(np.quantile(same, 0.02)) if len(same) else 0.0
    hi = max(
        float(np.quantile(diff, 0.999)) if len(diff) else lo,
        float(np.quantile(same, 0.9)) if len(same) else lo,
    )
    lo, hi = min(lo, hi, *keep), max(lo, hi, *keep)
    lo, hi = np.floor(lo * 100) / 100 - 0.01, np.ceil(hi * 100) / 100 + 0.01
    if hi - lo < 0.05:
        lo, hi = (lo + hi) / 2 - 0.025, (lo + hi) / 2 + 0.025
    return round(max(lo, -1.0), 2), round(min(hi, 1.0), 2)


def glossary() -> None:
    with st.expander("What these numbers mean"):
        st.markdown("\n".join(f"- **{name}**: {text}" for name, text in GLOSS.items()))


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


def recommendations(cal, target: float) -> None:
    """The threshold each goal recommends, with its precision, recall and F1."""
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
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.3f")
            for c in ("threshold", "precision", "recall", "F1")
        },
    )


def metrics_row(m, rec, goal: str) -> None:
    """Precision, recall, F1 and false-match rate at the slider, and the recommendation."""
    c = st.columns(5)
    c[0].metric("Precision", f"{m.precision:.3f}", help=GLOSS["Precision"])
    c[1].metric("Recall", f"{m.recall:.3f}", help=GLOSS["Recall"])
    c[2].metric("F1", f"{m.f1:.3f}", help=GLOSS["F1"])
    c[3].metric("False-match rate", f"{m.fpr:.3f}", help=GLOSS["False-match rate"])
    c[4].metric(
        f"Recommended ({goal})",
        f"{rec.threshold:.3f}",
        help=GLOSS["Youden's J"] if goal == "youden" else None if rec.achieved
        else "The target is not reachable on this evidence",
    )  # fmt: skip
    st.caption(
        f"Operating point: FPR {m.fpr:.3f}, TPR {m.recall:.3f} at threshold {m.threshold:.3f} "
        f"(TP {m.tp:,}, FP {m.fp:,}, FN {m.fn:,}, TN {m.tn:,} pairs: "
        f"{m.tp:,} same-deer pairs matched, {m.fp:,} different-deer pairs matched by mistake)."
    )


def outlook(pending, threshold: float, precision: float) -> None:
    """What matching the detections awaiting an identity would give at ``threshold``."""
    from deertrack_core.reid.calibration import outlook_from_scores

    out = outlook_from_scores(pending, threshold, precision)
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

"""Curves, metrics and the archive outlook of the threshold screen (reads via ui.readers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui import charts, readers

GOAL_LABELS = {
    "precision": "Target precision (few false merges)",
    "f1": "Best F1 (balance)",
    "youden": "Youden's J (TPR − FPR)",
}


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

    out = outlook_from_scores(readers.pending(url, model), threshold, precision)
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

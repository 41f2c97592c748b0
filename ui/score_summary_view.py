"""The Similarity page's scores summary (``deertrack scores summary`` on screen)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from deertrack_core.reports.scores import ScoreSummary


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def show(summary: ScoreSummary) -> None:
    rev = summary.reviewed
    cols = st.columns(5)
    cols[0].metric("Scores", f"{summary.total:,}")
    cols[1].metric("Led to a match", _pct(summary.matched_rate),
                   help=f"{summary.matched:,} of the scores were the winning match")  # fmt: skip
    cols[2].metric("Same deer (reviewed)", f"{rev['same_deer']:,}",
                   help=f"mean score {rev['mean_same'] or '–'}")  # fmt: skip
    cols[3].metric("Different deer (reviewed)", f"{rev['different_deer']:,}",
                   help=f"mean score {rev['mean_different'] or '–'}")  # fmt: skip
    cols[4].metric("ROC AUC (reviewed)", "–" if rev["roc_auc"] is None else f"{rev['roc_auc']:.3f}",
                   help="Chance a same-deer score beats a different-deer one (from the "
                   "buckets; ties within a bucket count half)")  # fmt: skip
    st.markdown("**Per model and run**")
    runs = pd.DataFrame(summary.runs)
    if len(runs):
        runs["threshold"] = runs["threshold"].map(
            lambda t: f"{t[0]:.3f}–{t[1]:.3f}" if isinstance(t, list) else f"{t:.3f}"
        )
        # A run id is 25-32 characters: its end tells runs apart and keeps every column in view.
        runs["run_id"] = "…" + runs["run_id"].astype(str).str[-8:]
        runs["first"] = pd.to_datetime(runs["first"], errors="coerce")
        st.dataframe(
            runs[["model", "run_id", "kind", "scores", "matched", "matched_rate", "detections",
                  "deer", "threshold", "mean_score", "first"]].rename(columns={
                      "run_id": "run", "matched_rate": "matched rate", "mean_score": "mean score",
                      "first": "logged"}),
            hide_index=True, width="stretch",
            column_config={
                "matched rate": st.column_config.NumberColumn(format="percent"),
                "run": st.column_config.TextColumn(
                    help="The run id's last characters; `deertrack scores summary --json` gives "
                    "it whole."),
                "mean score": st.column_config.NumberColumn(format="%.3f"),
                "logged": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm"),
            },
        )  # fmt: skip
    with st.expander(f"By score bucket (width {1 / summary.bins:g})"):
        buckets = pd.DataFrame(summary.buckets)
        if len(buckets):
            buckets.insert(
                0,
                "bucket",
                [
                    f"{lo:.2f}–{hi:.2f}"
                    for lo, hi in zip(buckets.pop("lo"), buckets.pop("hi"), strict=True)
                ],
            )
            buckets["matched rate"] = buckets["matched"] / buckets["scores"]
            st.dataframe(buckets.rename(columns={"same_deer": "same deer",
                                                 "different_deer": "different deer"}),
                         hide_index=True, width="stretch",
                         column_config={"matched rate":
                                        st.column_config.NumberColumn(format="percent")})  # fmt: skip
    st.caption(
        "The same figures as `deertrack scores summary`; every score is exported by the "
        "Exports page (Similarity scores, CSV or Parquet)."
    )

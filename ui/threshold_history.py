"""The Threshold page's history and drift check (issue 9, part 3): every recorded threshold with
its evidence, whether the recorded one still meets its target precision (with a Wilson
interval), and the state of the opt-in automatic apply."""

from __future__ import annotations

from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from deertrack_core import settings
from ui import background, readers

VERDICTS = {
    "meets": (":green[:material/check_circle:]", "still meets its target precision"),
    "uncertain": (
        ":orange[:material/help:]",
        "may no longer meet its target: the interval straddles it (review more pairs to know)",
    ),  # fmt: skip
    "fails": (":red[:material/error:]", "no longer meets its target precision"),
    "untested": (":grey[:material/help:]", "is untested: no reviewed pair scores at or above it"),
}


def drift(url: str, model: str) -> None:
    """Does the recorded threshold still hold on today's reviewed evidence?"""
    st.subheader("Does the recorded threshold still hold?")
    r = background.result(
        ("drift", url, model, readers.drift_version(url)),
        partial(readers.compute_drift, url, model),
        "Refitting the calibrator on today's reviewed evidence…",
    )
    if r is None:
        return
    if isinstance(r, str):
        st.caption(f"Not yet: {r}")
        return
    icon, says = VERDICTS.get(r.verdict, ("", r.verdict))
    lo, hi = r.interval
    st.markdown(
        f"{icon} The {'recorded' if r.recorded else 'default'} threshold **{r.threshold:.3f}** "
        f"{says}: precision **{r.precision:.3f}** (95% interval {lo:.3f}–{hi:.3f}, {r.called:,} "
        f"pairs at or above it) against the target **{r.target_precision:.2f}**."
    )
    rlo, rhi = r.recommended_interval
    st.caption(
        f"Refit on {r.same_pairs:,} same-deer and {r.different_pairs:,} different-deer pairs "
        f"({r.new_pairs:,} new same-deer pairs since it was recorded; ROC AUC {r.roc_auc:.3f}): "
        f"recommended {r.recommended:.3f}, precision {r.recommended_precision:.3f} "
        f"({rlo:.3f}–{rhi:.3f})" + ("" if r.recommended_achieved else ", short of the target")
        + (f". {r.trained_left_out} reviewed detections the model was trained on are left out."
           if r.trained_left_out else ".")
    )  # fmt: skip
    auto(r.new_pairs)


def auto(new_pairs: int) -> None:
    """The opt-in setting: on or off, and how far the next automatic refit is."""
    need = settings.auto_threshold_pairs()
    if settings.auto_threshold():
        st.markdown(
            f":material/autorenew: **Automatic updates are on**: after {need:,} new same-deer "
            f"pairs the recommendation is applied (now {min(new_pairs, need):,} of {need:,}); "
            "it is recorded like a manual apply, by `auto-calibration`."
        )
    else:
        st.caption(
            f"Automatic updates are off: only a person applies thresholds. Set "
            f"`DEERTRACK_AUTO_THRESHOLD=on` (and `DEERTRACK_AUTO_THRESHOLD_PAIRS`, now {need}) "
            "to apply the recommendation after enough new reviews."
        )


def history(url: str) -> None:
    """Every recorded threshold with its evidence: a chart over time and the table."""
    st.subheader("History")
    records = readers.threshold_history(url)
    if not records:
        st.caption("No threshold recorded yet: the default DEERTRACK_MATCH_THRESHOLD is in force.")
        return
    df = pd.DataFrame(
        {
            "set at": r.set_at, "threshold": r.threshold, "model": r.model, "kind": r.kind,
            "by": r.set_by, "goal": r.goal,
            "same pairs": r.evidence.get("same_pairs"),
            "different pairs": r.evidence.get("different_pairs"),
            "precision": (r.evidence.get("metrics") or {}).get("precision"),
            "recall": (r.evidence.get("metrics") or {}).get("recall"),
            "ROC AUC": r.evidence.get("roc_auc"),
        }
        for r in records
    )  # fmt: skip
    if len(df) > 1:
        x = alt.X(
            "set at:T", title=None, scale=alt.Scale(type="utc"), axis=alt.Axis(format="%d %b %H:%M")
        )  # stored in UTC
        base = alt.Chart(df).encode(
            x=x,
            y=alt.Y("threshold:Q", scale=alt.Scale(zero=False)),
            tooltip=[
                "set at:T",
                "threshold:Q",
                "model:N",
                "kind:N",
                "by:N",
                "precision:Q",
                "same pairs:Q",
            ],
        )
        # the threshold in force over time (a step at each record), each record a point
        chart = (
            base.mark_line(interpolate="step-after", color="#888")
            + base.mark_point(filled=True, size=70).encode(
                color=alt.Color("model:N", legend=alt.Legend(orient="bottom"))
            )
        ).properties(height=180)
        st.altair_chart(chart, width="stretch")
    st.dataframe(
        df, hide_index=True, width="stretch",
        column_config={
            "set at": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm"),
            "threshold": st.column_config.NumberColumn(format="%.3f"),
            "precision": st.column_config.NumberColumn(format="%.3f"),
            "recall": st.column_config.NumberColumn(format="%.3f"),
            "ROC AUC": st.column_config.NumberColumn(format="%.3f"),
        },
    )  # fmt: skip

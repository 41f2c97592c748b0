"""Threshold tuning: ROC and precision–recall from reviewed evidence, and what a threshold does."""

import numpy as np
import streamlit as st

from deertrack_core.errors import DeertrackError
from deertrack_core.reid import active
from ui import actions, errors, jobs, login, readers, resources, threshold_history, threshold_view
from ui import state as K

url = resources.start_page(
    "Match threshold",
    "A score at or above the threshold matches a known deer automatically. A false merge "
    "corrupts every count downstream, so the default goal is a target precision.",
)

with resources.session() as s:
    model, active_thr = active.active_threshold(s)
st.markdown(f"Active: **{active_thr:.3f}** on model `{model}`")
try:
    inputs = readers.threshold_inputs(url, model)
    cal, n_same, n_diff = inputs.calibrator, inputs.n_same, inputs.n_different
except DeertrackError as exc:
    st.warning(
        f"**Not enough reviewed evidence to tune the threshold yet.**\n\n{exc.problem}\n\n"
        f"{exc.fix}\n\nThe curves need reviewed detections of at least two deer, with at least one "
        "deer reviewed twice, and their embeddings (matching computes them).",
        icon=":material/fact_check:",
    )
    st.page_link("screens/review.py", label="Review detections", icon=":material/fact_check:")
    threshold_history.history(url)
    st.stop()
sample = (
    ""
    if cal.n_same_ + cal.n_different_ == n_same + n_diff
    else (f" Curves from a random sample of {cal.n_same_ + cal.n_different_:,} pairs.")
)
st.caption(
    f"Evidence: {n_same:,} same-deer and {n_diff:,} different-deer pairs from reviewed "
    f"detections.{sample}"
)

g1, g2 = st.columns([3, 1])
goal = g1.radio(
    "Goal",
    list(threshold_view.GOAL_LABELS),
    format_func=threshold_view.GOAL_LABELS.get,
    horizontal=True,
    key=K.THR_GOAL,
)
target = g2.number_input(
    "Target precision", 0.5, 1.0, 0.95, 0.01, key=K.THR_TARGET, disabled=goal != "precision"
)
rec = cal.recommend(goal, target)
if K.THR_SLIDER not in st.session_state:
    st.session_state[K.THR_SLIDER] = round(float(active_thr), 3)
st.button(
    f"Move the slider to the recommended {rec.threshold:.3f}",
    key="thr_use_recommended",
    on_click=lambda: st.session_state.update({K.THR_SLIDER: round(rec.threshold, 3)}),
)
lo, hi = threshold_view.action_range(cal, active_thr, rec.threshold)
zoomed = st.toggle(f"Zoom the slider to where the scores overlap ({lo:.2f}–{hi:.2f})",
                   value=True, key=K.THR_RANGE)  # fmt: skip
low, high = (lo, hi) if zoomed else (min(0.0, float(np.floor(cal.scores_.min() * 20) / 20)), 1.0)
st.session_state[K.THR_SLIDER] = min(max(st.session_state[K.THR_SLIDER], low), high)
thr = st.slider("Threshold", low, high, step=0.001 if zoomed else 0.005, key=K.THR_SLIDER,
                format="%.3f")  # fmt: skip
m = cal.metrics_at(thr)

threshold_view.metrics_row(m, rec, goal)
threshold_view.curves(cal, m)
threshold_view.glossary()

st.subheader("What the archive would get")
with errors.shown():
    threshold_view.outlook(inputs.pending, thr, m.precision)

st.subheader("Recommended thresholds")
threshold_view.recommendations(cal, target)

if not login.may("admin"):
    st.caption("Applying a threshold needs the admin role.")
    st.stop()
st.subheader("Apply")
rematch = st.checkbox("Re-match the detections awaiting an identity afterwards", key=K.THR_REMATCH)
if st.button(f"Apply threshold {thr:.3f}", key="thr_apply", type="primary"):
    actions.run(
        active.record, thr, model=model, evidence=cal.evidence(thr),
        goal=f"precision>={target:.2f}" if goal == "precision" else goal,
        notice=K.THR_NOTICE, message=f"Threshold {thr:.3f} recorded.",
        then=(lambda: f"Re-matching job {jobs.tasks().enqueue_rematch()[:8]} queued.")
        if rematch else None,
    )  # fmt: skip
if notice := actions.pop_notice(K.THR_NOTICE):
    st.success(notice, icon=":material/check_circle:")

threshold_history.drift(url, model)
threshold_history.history(url)

"""Similarity: histograms of every logged score, matched vs not and same vs different deer."""

import time
from functools import partial

import streamlit as st

from deertrack_core import stats
from deertrack_core.reid.active import active_threshold
from ui import background, charts, readers, resources, score_summary_view
from ui import state as K

url = resources.start_page(
    "Similarity scores",
    "Every match decision logs all its scores. Good separation between the colours means a "
    "threshold can tell deer apart.",
)
models, cameras = readers.score_options(url)
if not models:
    st.info(
        "No similarity scores have been logged yet. Scores appear when detections are matched: "
        "import photos and a MegaDetector file, then run matching (Jobs page).",
        icon=":material/info:",
    )
    st.page_link("screens/jobs.py", label="Jobs", icon=":material/schedule:")
    st.stop()

c1, c2, c3, c4 = st.columns([3, 3, 3, 2])
model = c1.selectbox("Model", models, key=K.SIM_MODEL)
picked = c2.multiselect("Cameras", list(cameras), format_func=cameras.get, key=K.SIM_CAMERAS)
dates = c3.date_input("Period (photo dates)", value=(), key=K.SIM_DATES)
bins = c4.select_slider("Bins", [20, 40, 50, 80, 100], value=50, key=K.SIM_BINS)
start, end = (tuple(dates) + (None, None))[:2] if isinstance(dates, tuple) else (dates, None)
flt = stats.ScoreFilter(model, start, end or start, tuple(picked))

with resources.session() as s:
    threshold = active_threshold(s)[1]
matched, truth = readers.histograms(url, flt, bins)
view = st.radio("Heights", list(charts.HISTOGRAM_VIEWS), format_func=charts.HISTOGRAM_VIEWS.get,
                horizontal=True, key=K.SIM_VIEW,
                help="Different-deer pairs outnumber same-deer pairs many times over; normalised "
                     "or log heights keep the small colour visible.")  # fmt: skip

if not matched:
    st.warning("No scores match these filters.")
    st.stop()
st.altair_chart(
    charts.histogram(matched, threshold, "All scores: matched vs not matched", view),
    width="stretch",
)
st.caption(f"{sum(r['count'] for r in matched):,} scores; dashed line: the active threshold.")
if truth:
    st.altair_chart(
        charts.histogram(
            truth, threshold, "Reviewed detections: same deer vs different deer", view
        ),
        width="stretch",
    )
    st.caption(
        f"{sum(r['count'] for r in truth):,} scores of reviewed detections. Overlap between the "
        "two colours is where the machine will make mistakes."
    )
else:
    st.info(
        "No scores of reviewed detections yet, so same deer vs different deer cannot be shown. "
        "Matching scores only the detections it decides; a backfill (Jobs page) scores the "
        "reviewed ones too. With no reviews yet, review some detections first.",
        icon=":material/info:",
    )
    st.page_link("screens/jobs.py", label="Start a backfill", icon=":material/schedule:")
    st.page_link("screens/review.py", label="Review detections", icon=":material/fact_check:")

st.subheader("Summary of the scores")
summary = background.result(
    ("scores summary", url, flt, int(time.time() // 60)),
    partial(readers.score_summary, url, flt),
    "Summarising every logged score…",
)
if summary is not None:
    score_summary_view.show(summary)

"""DeerTrack dashboard: routes to the screens in pages/ (run with `streamlit run app.py`)."""

import logging

import streamlit as st

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="DeerTrack", page_icon=":material/pets:", layout="wide")

PAGES = {
    "Archive": [
        st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("pages/import_data.py", title="Import", icon=":material/upload:"),
    ],
    "Identify": [
        st.Page("pages/review.py", title="Review", icon=":material/fact_check:"),
        st.Page("pages/individuals.py", title="Individuals", icon=":material/pets:"),
        st.Page("pages/audit.py", title="Audit trail", icon=":material/history:"),
    ],
    "Tune": [
        st.Page("pages/similarity.py", title="Similarity", icon=":material/bar_chart:"),
        st.Page("pages/threshold.py", title="Threshold", icon=":material/tune:"),
    ],
    "Results": [
        st.Page("pages/exports.py", title="Exports", icon=":material/download:"),
        st.Page("pages/jobs.py", title="Jobs", icon=":material/schedule:"),
    ],
}

st.navigation(PAGES).run()

"""DeerTrack dashboard: routes to the screens in screens/ (run with `streamlit run app.py`).

The folder is not called ``pages/``: beside the main script that name switches Streamlit's old
multipage mode on for the first session of a fresh server, which then runs a page without this
router (no wide layout, no grouped menu) when a browser reconnects straight to, say, /review.
"""

import logging

import streamlit as st

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="DeerTrack", page_icon=":material/pets:", layout="wide")

PAGES = {
    "Archive": [
        st.Page("screens/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("screens/import_data.py", title="Import", icon=":material/upload:"),
    ],
    "Identify": [
        st.Page("screens/review.py", title="Review", icon=":material/fact_check:"),
        st.Page("screens/individuals.py", title="Individuals", icon=":material/pets:"),
        st.Page("screens/audit.py", title="Audit trail", icon=":material/history:"),
    ],
    "Tune": [
        st.Page("screens/similarity.py", title="Similarity", icon=":material/bar_chart:"),
        st.Page("screens/threshold.py", title="Threshold", icon=":material/tune:"),
    ],
    "Results": [
        st.Page("screens/population.py", title="Population", icon=":material/groups:"),
        st.Page("screens/exports.py", title="Exports", icon=":material/download:"),
        st.Page("screens/jobs.py", title="Jobs", icon=":material/schedule:"),
    ],
}

st.navigation(PAGES).run()

"""The "synthetic demo data" notice (its removal is ui/demo_removal.py)."""

from __future__ import annotations

import streamlit as st

from deertrack_core import db
from deertrack_core.demo.load import demo_present


@st.cache_data(ttl=60, show_spinner=False)
def is_demo(url: str) -> bool:
    """True when the archive holds the generated demo season."""
    with db.session_scope(url) as s:
        return demo_present(s)


def notice(url: str) -> None:
    if is_demo(url):
        st.info(
            "**Synthetic demo data.** These photos and deer were generated to show what DeerTrack "
            "does. Your own imports are added beside them; remove the demo on the Import page "
            "(or `deertrack demo --remove`) to keep only your own.",
            icon=":material/science:",
        )

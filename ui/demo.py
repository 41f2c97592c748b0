"""The "synthetic demo data" notice."""

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
            "does; import your own photos on the Import page to replace them.",
            icon=":material/science:",
        )

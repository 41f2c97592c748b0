"""The "synthetic demo data" notice."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import or_, select

from deertrack_core import db
from deertrack_core.models import Deployment, Image


@st.cache_data(ttl=60, show_spinner=False)
def is_demo(url: str) -> bool:
    """True when the archive holds the generated demo season."""
    try:
        from deertrack_core.demo.load import demo_present as is_demo_loaded
    except ImportError:  # the demo module's own answer is not there: look for its notes
        is_demo_loaded = None
    with db.session_scope(url) as s:
        if is_demo_loaded is not None:
            return bool(is_demo_loaded(s))
        hit = s.scalar(
            select(Deployment.id)
            .where(or_(Deployment.notes.ilike("%synthetic%"), Deployment.notes.ilike("%demo%")))
            .limit(1)
        ) or s.scalar(select(Image.id).where(Image.make.ilike("%deertrack demo%")).limit(1))
        return hit is not None


def notice(url: str) -> None:
    if is_demo(url):
        st.info(
            "**Synthetic demo data.** These photos and deer were generated to show what DeerTrack "
            "does; import your own photos on the Import page to replace them.",
            icon=":material/science:",
        )

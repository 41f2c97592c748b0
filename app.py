"""DeerTrack dashboard: routes to the screens in screens/ (run with `streamlit run app.py`).

The folder is not called ``pages/``: beside the main script that name switches Streamlit's old
multipage mode on for the first session of a fresh server, which then runs a page without this
router (no wide layout, no grouped menu) when a browser reconnects straight to, say, /review.

Before any page: the listen check and, once user accounts exist, the sign-in (:mod:`ui.login`).
The menu shows only the pages the signed-in role may use; the others stay routable (hidden) so
that their own guard says which role they need, and the core refuses the writes anyway.
"""

import logging

import streamlit as st

from ui import login
from ui.navigation import PAGES

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="DeerTrack", page_icon=":material/pets:", layout="wide")


def navigation(position: str = "sidebar"):
    return st.navigation(
        {
            section: [
                st.Page(
                    script,
                    title=title,
                    icon=icon,
                    default=script.endswith("overview.py"),
                    visibility="visible" if login.may(role) else "hidden",
                )  # fmt: skip
                for script, title, icon, role in pages
            ]
            for section, pages in PAGES.items()
        },
        position=position,
    )


actor = login.gate(before_form=lambda: navigation("hidden"))
login.sidebar(actor)
navigation().run()

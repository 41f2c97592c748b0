"""Audit trail: every change people made, newest first: who, when, what; undo any of them."""

import streamlit as st

from deertrack_core import audit
from ui import actions, audit_view, formats, readers, resources
from ui import state as K

url = resources.start_page(
    "Audit trail",
    "Every decision and edit, as one line per action. Undo reverts an action as a whole, unless "
    "someone has changed the same records since.",
)
user = resources.user()
if notice := actions.pop_notice(K.AUDIT_NOTICE):
    st.toast(notice, icon=":material/check:")

users, kinds = readers.audit_filters(url)
a, b, c = st.columns([3, 3, 2])
who = a.selectbox("Who", ["everyone", *users], key=K.AUDIT_USER)
kind = b.selectbox("What", ["every action", *kinds], key=K.AUDIT_ACTION)
limit = c.select_slider("Show", [25, 50, 100, 250, 500], value=50, key="audit_limit")
records, names = readers.audit_trail(
    url, None if who == "everyone" else who, None if kind == "every action" else kind, limit
)
if not records:
    st.info("Nothing recorded yet: decisions on the Review page and edits of individuals, "
            "boxes and clocks appear here.", icon=":material/history:")  # fmt: skip
    st.stop()
latest = "The latest action" if len(records) == 1 else f"The latest {len(records)} actions"
st.caption(f"{latest}; you act as **{user}**.")
for record in records:
    if audit_view.row(record, names, user):
        actions.run(
            audit.undo, record.action_id, notice=K.AUDIT_NOTICE,
            message=f"Undone: {record.action} of {formats.day_time(record.at)}.",
        )  # fmt: skip

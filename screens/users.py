"""Users (admins only): accounts, roles and API tokens."""

import streamlit as st

from deertrack_core import auth
from ui import actions, resources, users_view

url = resources.start_page(
    "Users",
    "Who may sign in, and what they may do: viewers read and export, reviewers also review and "
    "edit individuals, admins also import, tune and manage users.",
    role=auth.ADMIN,
)
if notice := actions.pop_notice(users_view.NOTICE):
    st.success(notice, icon=":material/check_circle:")

rows = users_view.users()
if rows:
    st.dataframe(rows, hide_index=True)
else:
    st.info("No user accounts yet: this is the laptop mode (no sign-in, loopback only). The "
            "first user you add must be an admin.", icon=":material/info:")  # fmt: skip
add, change = st.columns(2)
with add:
    users_view.add_form()
with change:
    users_view.manage([str(r["name"]) for r in rows])
users_view.token_section([str(r["name"]) for r in rows])

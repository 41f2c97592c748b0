"""The Users page's parts (admins only): the list, adding a user, roles, disabling, tokens.

Every change goes through :func:`ui.actions.run` to :mod:`deertrack_core.auth` /
:mod:`deertrack_core.tokens`, which check the admin role themselves. A new API token is shown
once, right after it is made: only its hash is stored.
"""

from __future__ import annotations

import streamlit as st

from deertrack_core import auth, tokens
from ui import actions, resources

NOTICE = "users_notice"
NEW_TOKEN = "users_new_token"


def users() -> list[dict[str, object]]:
    with resources.session() as s:
        return [
            {
                "name": u.name,
                "role": u.role,
                "status": "disabled" if u.disabled else "active",
                "created": u.created_at,
            }  # fmt: skip
            for u in auth.list_users(s)
        ]


def token_rows() -> list[tokens.TokenInfo]:
    with resources.session() as s:
        return tokens.list_tokens(s)


def add_form() -> None:
    with st.form("users_add", clear_on_submit=True):
        st.markdown("**Add a user**")
        name = st.text_input("User name", key="users_add_name")
        role = st.selectbox("Role", [r.value for r in auth.ROLES], key="users_add_role")
        password = st.text_input(
            "Password", type="password", key="users_add_password",
            help=f"At least {auth.MIN_PASSWORD} characters; tell it to them in person.",
        )  # fmt: skip
        if st.form_submit_button("Add user", icon=":material/person_add:"):
            actions.run(auth.add_user, name.strip(), role, password, notice=NOTICE,
                        message=f"User {name.strip()} added as {role}.")  # fmt: skip


def manage(names: list[str]) -> None:
    st.markdown("**Change a user**")
    name = st.selectbox("User", names, key="users_pick")
    if name is None:
        return
    role_col, state_col = st.columns(2)
    with role_col:
        role = st.selectbox("New role", [r.value for r in auth.ROLES], key="users_role")
        if st.button("Set role", key="users_set_role"):
            actions.run(auth.set_role, name, role, notice=NOTICE,
                        message=f"{name} is now a {role}.")  # fmt: skip
    with state_col:
        st.write("")
        if st.button("Disable", key="users_disable", icon=":material/block:"):
            actions.run(auth.set_disabled, name, True, notice=NOTICE, message=f"{name} disabled.")
        if st.button("Enable", key="users_enable", icon=":material/check:"):
            actions.run(auth.set_disabled, name, False, notice=NOTICE, message=f"{name} enabled.")


def _create_token(session, name: str, label: str, *, actor) -> None:
    token, _ = tokens.create_token(session, name, label=label, actor=actor)
    st.session_state[NEW_TOKEN] = (name, token)


def token_section(names: list[str]) -> None:
    st.subheader("API tokens")
    if new := st.session_state.pop(NEW_TOKEN, None):
        st.success(f"New token for {new[0]}: copy it now, it is not shown again.",
                   icon=":material/key:")  # fmt: skip
        st.code(new[1], language=None)
    rows = token_rows()
    if rows:
        st.dataframe(
            [{"id": t.id, "user": t.user, "label": t.label, "starts with": t.prefix,
              "last used": t.last_used_at, "revoked": t.revoked_at} for t in rows],
            hide_index=True,
        )  # fmt: skip
    make, revoke = st.columns(2)
    with make:
        name = st.selectbox("Token for", names, key="tokens_user")
        label = st.text_input("Label", key="tokens_label", placeholder="e.g. R scripts")
        if st.button("Create token", key="tokens_create", icon=":material/key:") and name:
            actions.run(_create_token, name, label, notice=NOTICE,
                        message=f"Token for {name} created.")  # fmt: skip
    with revoke:
        live = [t.id for t in rows if t.revoked_at is None]
        token_id = st.selectbox("Token id", live, key="tokens_revoke_id")
        if st.button("Revoke token", key="tokens_revoke", icon=":material/key_off:") and token_id:
            actions.run(tokens.revoke_token, token_id, notice=NOTICE,
                        message=f"Token {token_id} revoked.")  # fmt: skip

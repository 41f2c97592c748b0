"""Who is using the dashboard: the listen check, the sign-in form, sign-out, the page guards.

While no user account exists the dashboard is the laptop mode: nobody signs in and the core
treats the person at the machine as an admin (it only listens on loopback then, which
:func:`gate` checks). Once a user exists, :func:`gate` shows a sign-in form before any page and
keeps the signed-in :class:`~deertrack_core.auth.Actor` in ``st.session_state[ACTOR]``. The
pages hide what the role may not do, and the core refuses it anyway.

A sign-in survives a reload: the browser keeps a sign-in token (:func:`deertrack_core.signin.
start_session`, hashed in the database, a working day long) in the cookie :data:`COOKIE`, which
the next session reads; signing out revokes it and clears the cookie.
"""

from __future__ import annotations

import streamlit as st

from deertrack_core import auth, signin
from deertrack_core.errors import AuthenticationError, DeertrackError
from ui import errors, resources

ACTOR = resources.ACTOR
FORM = "signin_form"
COOKIE = "deertrack_signin"
TOKEN = "signin_token"  # this session's sign-in token
PENDING = "signin_cookie_pending"  # a token to store in the browser ("": clear it)
REFUSED = "signin_cookie_refused"  # the cookie's token, once refused


def _client() -> str:
    try:
        return st.context.ip_address or "local"
    except Exception:  # noqa: BLE001 - no request context (bare runs)
        return "unknown"


def _current(actor: auth.Actor) -> auth.Actor | None:
    """The signed-in actor as the database has it now (role changes show at once; a disabled
    or deleted user is signed out)."""
    with resources.session() as s:
        try:
            return auth.require(s, actor, auth.VIEWER, "use the dashboard")
        except AuthenticationError:
            return None


def gate(before_form=None) -> auth.Actor | None:
    """Run before any page: refuse an unsafe listen address, then return the signed-in actor
    (``None``: the laptop mode), or show the sign-in form and stop (``before_form`` runs first:
    the app registers its pages there, so that the page in the URL opens after signing in)."""
    try:
        auth.check_listen(st.get_option("server.address") or "", "dashboard")
        with resources.session() as s:
            accounts = auth.users_exist(s)
    except DeertrackError as exc:
        errors.show(exc)
        st.stop()
    _store_cookie()
    if not accounts:
        st.session_state.pop(ACTOR, None)
        return None
    actor = st.session_state.get(ACTOR) or _resume()
    if actor is not None:
        actor = _current(actor)
        if actor is not None:
            st.session_state[ACTOR] = actor
            return actor
        st.session_state.pop(ACTOR, None)
    if before_form is not None:
        before_form()
    _form()
    st.stop()


def _form() -> None:
    st.title("Sign in to DeerTrack")
    st.caption("Sign in with the account an admin made for you (`deertrack user add`).")
    with st.form(FORM, width=420):
        name = st.text_input("User name", key="signin_name", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="signin_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    try:
        with resources.session() as s:
            actor = signin.sign_in(s, name.strip(), password, client=_client())
    except DeertrackError as exc:
        errors.show(exc)
        return
    with resources.session() as s:
        token = signin.start_session(s, actor)
    st.session_state.update({ACTOR: actor, TOKEN: token, PENDING: token})
    st.rerun()


def _resume() -> auth.Actor | None:
    """The user of this browser's sign-in cookie, if it still signs someone in."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (bare runs, AppTest)
        token = None
    # The cookie is the one the browser sent when this session began: after a sign-out it is
    # the revoked token until the next reload, so a refused one is not looked up again.
    if not isinstance(token, str) or not token or token == st.session_state.get(REFUSED):
        return None
    try:
        with resources.session() as s:
            actor = signin.resume(s, token)
    except AuthenticationError:
        st.session_state.update({REFUSED: token, PENDING: ""})  # expired or revoked: forget it
        _store_cookie()
        return None
    st.session_state[TOKEN] = token
    return actor


def _store_cookie() -> None:
    """Set (or, for "", clear) the browser's sign-in cookie, once, as the page loads."""
    token = st.session_state.pop(PENDING, None)
    if token is None:
        return
    age = round(signin.SESSION_DAYS * 86400) if token else 0
    # The token is URL-safe base64: nothing in it needs quoting in a cookie or in this script.
    st.html(
        "<script>document.cookie = '"
        f"{COOKIE}={token}; path=/; max-age={age}; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


def sidebar(actor: auth.Actor | None) -> None:
    """Who is signed in, and the sign-out button."""
    if actor is None:
        return
    with st.sidebar:
        st.caption(f"Signed in as **{actor.name}** ({actor.role})")
        if st.button("Sign out", key="signout", icon=":material/logout:"):
            if token := st.session_state.pop(TOKEN, None):
                with resources.session() as s:
                    signin.end_session(s, token, actor)
            st.session_state.pop(ACTOR, None)
            st.session_state.update({PENDING: "", REFUSED: token})
            st.rerun()


#: The page guards live in ui.resources (start_page calls them); named here too.
may, need = resources.may, resources.need

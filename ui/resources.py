"""Cached resources (engine, embedder) and the page preamble every screen calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deertrack_core import auth, db, settings
from deertrack_core.errors import DeertrackError


def database_url() -> str:
    return settings.database_url()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = db.get_engine(url)
    db.require_schema(engine)
    return engine


@contextmanager
def session() -> Iterator[Session]:
    """One transaction on the configured database: committed when the block succeeds."""
    url = database_url()
    _engine(url)
    with db.session_scope(url) as s:
        yield s


@st.cache_resource(show_spinner="Loading the re-identification model…")
def embedder(name: str):
    from deertrack_core.reid.embedders import get_embedder

    return get_embedder(name)


#: Session-state key of the signed-in actor (set by :mod:`ui.login`).
ACTOR = "deertrack_actor"


def actor():
    """The signed-in actor (``None``: the laptop mode's implicit admin, refused by the core
    once user accounts exist)."""
    return st.session_state.get(ACTOR)


def user() -> str:
    who = actor()
    return who.name if who is not None else settings.current_user()


def start_page(title: str, caption: str = "", *, role: str | None = None) -> str:
    """Title, the database check, the role check (a page that needs ``role`` stops for a
    signed-in user without it) and the demo notice. Returns the database URL."""
    from ui import demo
    from ui.errors import show

    st.title(title)
    if caption:
        st.caption(caption)
    url = database_url()
    try:
        _engine(url)
    except DeertrackError as exc:
        _engine.clear()
        show(exc)
        st.stop()
    if role is not None:
        need(role)
    demo.notice(url)
    if url not in _WARMED:  # once per process: the threshold evidence, off the critical path
        from ui import evidence, warmup

        _WARMED.add(url)
        evidence.warm(url, delay=0.0)  # (at once; ui.launch already started it at start-up)
        warmup.start()  # and the other pages' code
    return url


_WARMED: set[str] = set()


def may(role: str) -> bool:
    """Whether the signed-in actor (or the laptop mode) may use what needs ``role``."""
    who = actor()
    return who is None or who.may(role)


def need(role: str) -> None:
    """Stop a page the signed-in actor's role may not use (reached by its URL)."""
    who = actor()
    if who is None:
        with session() as s:
            if not auth.users_exist(s):
                return
        st.error("Sign in first: this DeerTrack has user accounts.", icon=":material/lock:")
        st.stop()
    if not who.may(role):
        st.error(
            f"This page needs the {role} role; you are signed in as {who.name} ({who.role}).",
            icon=":material/lock:",
        )
        st.caption(f"Ask an admin to run `deertrack user set-role {who.name} {role}`.")
        st.stop()

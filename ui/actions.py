"""The one way a page runs a core action (review decisions, edits of a deer, a new threshold).

``run(fn, *args, notice=KEY, message=TEXT, **kw)`` calls ``fn(session, *args, actor=<the
signed-in actor>, **kw)`` in its own transaction; the core function checks the actor's role
itself. When it commits: the cached readers are cleared, ``message`` waits in
``st.session_state[KEY]`` for the next run (:func:`pop_notice`) and the page reruns. A
``DeertrackError`` (a conflict, a bad value, a role that may not) is shown in place and nothing
is saved.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ui import errors, readers, resources


def run(
    fn: Callable[..., object],
    *args: object,
    notice: str,
    message: str,
    then: Callable[[], str] | None = None,
    **kw: object,
) -> None:
    """Run one core action as the current user; ``then`` runs after the commit (e.g. enqueue a
    job) and its text is added to the message."""
    with errors.shown():
        with resources.session() as s:
            fn(s, *args, actor=resources.actor(), **kw)
        if then is not None:
            message = f"{message} {then()}"
        readers.clear_caches()
        st.session_state[notice] = message
        st.rerun()


def pop_notice(key: str) -> str | None:
    """The message an action left for this run, once."""
    return st.session_state.pop(key, None)

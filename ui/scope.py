"""Which identities a count includes, the same choice on every page.

Every identity is *confirmed* (a reviewer set it), *automatic* (the machine matched at or above
its recorded threshold, or created a new deer) or *proposed* (waiting for a reviewer); see
``deertrack_core.analysis.provenance``. Counts include confirmed and automatic identities by
default; "confirmed only" counts a reviewer's identities alone. The choice lives in the session
(:data:`ui.state.CONFIRMED_ONLY`), so it holds across pages.
"""

from __future__ import annotations

import streamlit as st

from deertrack_core.analysis.provenance import SCOPE_TEXT, scope_label
from ui import state as K

DEFAULT = False  # confirmed and automatic identities
HELP = (
    "Off (the default): counts of individuals include identities a reviewer confirmed and "
    "automatic ones (machine matches at or above the recorded threshold). On: only identities "
    "a reviewer set; machine matches count as unidentified deer. Proposals awaiting review are "
    "never counted. The choice holds on every page."
)


def confirmed_only() -> bool:
    """The session's choice (default: :data:`DEFAULT`)."""
    return bool(st.session_state.get(K.CONFIRMED_ONLY, DEFAULT))


def _keep(widget: str) -> None:
    st.session_state[K.CONFIRMED_ONLY] = bool(st.session_state[widget])


def toggle(page: str, container=None) -> bool:
    """The "confirmed only" toggle of ``page``; returns the choice.

    The widget has a key per page and copies its value to :data:`K.CONFIRMED_ONLY`: Streamlit
    forgets a widget's state on pages that do not draw it, the shared key stays.
    """
    widget = f"{K.CONFIRMED_ONLY_TOGGLE}_{page}"
    st.session_state[widget] = confirmed_only()
    (container or st).toggle(
        "Confirmed identities only", key=widget, on_change=_keep, args=(widget,), help=HELP
    )
    return confirmed_only()


def label(only: bool | None = None) -> str:
    """ "(confirmed + automatic)" or "(confirmed only)"."""
    return scope_label(confirmed_only() if only is None else only)


def sentence(counts: dict[str, int], only: bool | None = None) -> str:
    """What the page's counts include, with the detections by provenance, in one line."""
    only = confirmed_only() if only is None else only
    default = " (the default)" if only == DEFAULT else ""
    return (
        f"Counts of deer include **{SCOPE_TEXT[only]}**{default}. Of the animal boxes, "
        f"{counts.get('confirmed', 0):,} are confirmed by a reviewer, "
        f"{counts.get('automatic', 0):,} automatic, {counts.get('proposed', 0):,} proposed for "
        f"review and {counts.get('unidentified', 0):,} not matched yet."
    )

"""Removing the synthetic demo season from the dashboard (records and files, nothing else)."""

from __future__ import annotations

import streamlit as st

from ui import actions
from ui import state as K
from ui.demo import is_demo


def _remove_records(session, *, actor) -> None:
    from deertrack_core.demo.remove import remove_demo_records

    summary, folder = remove_demo_records(session, actor=actor)
    st.session_state[K.DEMO_NOTICE + "_done"] = (summary, folder)


def _remove_files() -> str:
    from deertrack_core.demo.season import clear_files

    summary, folder = st.session_state.pop(K.DEMO_NOTICE + "_done")
    files = clear_files(folder) if folder is not None else 0
    back = (
        f" {summary.requeued} of your detections went back to the queue."
        if summary.requeued
        else ""
    )
    return (
        f"{summary.photos:,} photos, {summary.detections:,} detections, {summary.deer} deer and "
        f"{files:,} files removed.{back}"
    )


def removal(url: str, *, after_import: bool = False) -> None:
    """Offer to remove the demo season (records and files, nothing else)."""
    if not is_demo(url):
        return
    if not after_import:
        st.subheader("The demo season")
    with st.container(border=True):
        if after_import:
            st.markdown("**Your photos are in.** The synthetic demo season is still in the "
                        "archive beside them: remove it now?")  # fmt: skip
        else:
            st.markdown("**The synthetic demo season** is in this archive. Removing it deletes "
                        "its photos, detections, deer, scores, audit rows and files; your own "
                        "imports stay as they are.")  # fmt: skip
        sure = st.checkbox("Yes, remove the demo season", key=f"demo_sure_{after_import}")
        if st.button("Remove the demo season", key=f"demo_remove_{after_import}",
                     icon=":material/delete_sweep:", disabled=not sure):  # fmt: skip
            actions.run(_remove_records, notice=K.DEMO_NOTICE, message="Demo season removed:",
                        then=_remove_files)  # fmt: skip

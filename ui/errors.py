"""The one place the dashboard shows a DeertrackError: the problem, then the fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from deertrack_core.errors import ConflictError, DeertrackError, ValidationError


def show(exc: DeertrackError, where=st) -> None:
    if isinstance(exc, ValidationError):
        lines = "\n".join(f"- **{field}**: {msg}" for field, msg in exc.problems.items())
        where.error(f"Please correct:\n\n{lines}", icon=":material/edit_note:")
        return
    icon = ":material/sync_problem:" if isinstance(exc, ConflictError) else ":material/error:"
    text = f"**{exc.problem}**" + (f"\n\n{exc.fix}" if exc.fix else "")
    where.error(text, icon=icon)


@contextmanager
def shown(where=st) -> Iterator[None]:
    """Run a block; a DeertrackError raised in it is shown instead of crashing the page."""
    try:
        yield
    except DeertrackError as exc:
        show(exc, where)

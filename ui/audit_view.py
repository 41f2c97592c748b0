"""The audit trail in words: who changed what, when; one line per action."""

from __future__ import annotations

from collections import Counter, defaultdict

import streamlit as st

from deertrack_core import auth
from deertrack_core.audit import ActionRecord, Change
from ui import formats, login

FIELD_WORDS = {
    "deer_id": "deer",
    "match_status": "status",
    "sex_age": "sex/age",
    "merged_into": "merged into",
    "x": "box",
    "y": "box",
    "w": "box",
    "h": "box",
}


def _value(field: str, value: str | None, names: dict[int, str]) -> str:
    if value is None or value == "":
        return "none"
    if field in ("deer_id", "merged_into") and value.isdigit():
        return names.get(int(value), f"deer {value}")
    return value if len(value) <= 40 else value[:37] + "…"


def _boxes(changes: list[Change]) -> str:
    ids = sorted({c.entity_id for c in changes})
    return f"box{'es' if len(ids) > 1 else ''} of detection {', '.join(map(str, ids))} moved or resized"


def describe(record: ActionRecord, names: dict[int, str]) -> str:
    """What an action did, in a line: the records it touched and each field's change."""
    by_field: dict[str, list[Change]] = defaultdict(list)
    for c in record.changes:
        by_field[c.field].append(c)
    parts = []
    for field, changes in by_field.items():
        kinds = Counter(c.entity for c in changes)
        who = ", ".join(f"{n} {k}{'s' if n > 1 else ''}" for k, n in kinds.items())
        if field == "created":
            parts.append(
                "new " + ", ".join(_value("x", c.new, names) for c in changes)
                if kinds.get("detection") else
                "new deer " + ", ".join(c.new or "" for c in changes)
            )  # fmt: skip
        elif field == "deleted":
            parts.append(f"deleted {who} (#{', #'.join(str(c.entity_id) for c in changes)})")
        elif field in ("x", "y", "w", "h"):
            if field == "x" or "x" not in by_field:
                parts.append(_boxes(changes))
        else:
            moves = Counter(
                (_value(field, c.old, names), _value(field, c.new, names)) for c in changes
            )
            text = "; ".join(
                f"{a} → {b}" + (f" ×{n}" if n > 1 else "") for (a, b), n in moves.items()
            )
            parts.append(f"{FIELD_WORDS.get(field, field)} of {who}: {text}")
    return " · ".join(parts)


def row(record: ActionRecord, names: dict[int, str], user: str) -> bool:
    """One action; returns True when its Undo button was clicked."""
    when, who, what, undo = st.columns([2, 2, 7, 2], vertical_alignment="center")
    when.markdown(formats.day_time(record.at))
    who.markdown(f"**{record.user}**")
    state = " ~~undone~~" if record.undone else ""
    what.markdown(f"**{record.action}**{state} — {describe(record, names)}")
    if record.action == "undo" or record.undone:
        undo.caption("undone" if record.undone else "")
        return False
    if not login.may(auth.ADMIN if record.user != user else auth.REVIEWER):
        return False  # the core refuses it too: a viewer undoes nothing, a reviewer their own
    return undo.button(
        "Undo", key=f"audit_undo_{record.action_id}", icon=":material/undo:", width="stretch",
        help=f"Revert this {record.action} as {user} (refused if anything was built on it since)",
    )  # fmt: skip
